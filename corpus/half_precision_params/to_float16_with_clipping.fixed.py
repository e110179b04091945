# Small CNN on random 1x16x16 "images"; mixed precision with gradient clipping: unscale_ first,
# then clip, then step.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def build_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 10),
    )


def main():
    net = build_model().to("cpu", dtype=torch.float32)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    images = torch.randn(64, 1, 16, 16)
    targets = torch.randint(0, 10, (64,))
    for it in range(10):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.float16):
            loss = F.cross_entropy(net(images).float(), targets)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)
        scaler.step(opt)
        scaler.update()
        print(it, f"{loss.item():.4f}")


if __name__ == "__main__":
    main()
