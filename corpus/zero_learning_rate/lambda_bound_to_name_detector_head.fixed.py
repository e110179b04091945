"""Keypoint regression head on a frozen-free ResNet-like stem; the warm-up factor is a lambda
bound to a name, as detection codebases write it (warmup_iters, warmup_factor)."""
import torch
import torch.nn as nn


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 5, stride=2, padding=2, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return torch.relu(x + self.block(x))


class KeypointNet(nn.Module):
    def __init__(self, points=4):
        super().__init__()
        self.stem = Stem()
        self.head = nn.Linear(8 * 16 * 16, points * 2)

    def forward(self, x):
        return self.head(self.stem(x).flatten(1))


def main():
    torch.manual_seed(0)
    model = KeypointNet()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.02, momentum=0.9)
    warmup_iters = 50
    warmup_fn = lambda it: it / warmup_iters if it < warmup_iters else 1.0
    lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=warmup_fn)
    images = torch.randn(48, 1, 32, 32)
    targets = torch.rand(48, 8)
    for epoch in range(2):
        for i in range(0, 48, 8):
            loss = nn.functional.smooth_l1_loss(model(images[i:i + 8]), targets[i:i + 8])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            lr_scheduler.step()
        print(f"epoch {epoch} loss {loss.item():.4f} lr {optimizer.param_groups[0]['lr']:.5f}")


if __name__ == "__main__":
    main()
