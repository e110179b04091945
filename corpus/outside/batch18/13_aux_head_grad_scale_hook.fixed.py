# Multi-task image classifier: a shared CNN encoder, a main class head, and an auxiliary
# self-supervised head that predicts which rotation (0/90/180/270) was applied. To stop the
# auxiliary task from dominating the shared encoder, a full backward hook on the auxiliary head
# scales the gradient it sends back into the encoder.
#
# Reproduces: https://github.com/TransformerLensOrg/TransformerLens/issues/1160
# (fixed in TransformerLens PR 1175: a module backward hook must return a tuple, not a bare tensor)
#
# register_full_backward_hook expects the hook to return None or a tuple with one entry per
# positional input of the module. This hook returns grad_input[0] * scale, a bare tensor. Autograd
# treats it as a sequence and counts its rows (the batch size) as the number of returned
# gradients, so the first backward() fails with
# "RuntimeError: Backward hook returned an invalid number of grad_input, got 32, but expected 1".
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "img": 16, "n_classes": 5, "n_train": 640, "batch_size": 32, "epochs": 4,
    "lr": 2e-3, "aux_weight": 1.0, "aux_grad_scale": 0.1,
}


def make_dataset(n, n_classes, img, seed):
    g = torch.Generator().manual_seed(seed)
    protos = torch.randn(n_classes, 1, img, img, generator=g).cumsum(-1).cumsum(-2) / img
    y = torch.randint(0, n_classes, (n,), generator=g)
    x = protos[y] + 0.5 * torch.randn(n, 1, img, img, generator=g)
    return TensorDataset(x, y)


def rotate_batch(x, generator):
    """Rotate each image by k*90 degrees; return rotated images and k as the auxiliary target."""
    k = torch.randint(0, 4, (x.shape[0],), generator=generator)
    rotated = torch.stack([torch.rot90(img, int(r), dims=(1, 2)) for img, r in zip(x, k)])
    return rotated, k


class Encoder(nn.Module):
    def __init__(self, width=24):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.out_dim = 2 * width

    def forward(self, x):
        return self.net(x)


class MultiTaskNet(nn.Module):
    def __init__(self, n_classes, aux_grad_scale):
        super().__init__()
        self.encoder = Encoder()
        self.cls_head = nn.Linear(self.encoder.out_dim, n_classes)
        self.rot_head = nn.Sequential(nn.Linear(self.encoder.out_dim, 32), nn.ReLU(), nn.Linear(32, 4))
        self.aux_grad_scale = aux_grad_scale

        def scale_aux_grad(module, grad_input, grad_output):
            # damp the auxiliary gradient that flows back into the shared encoder
            return (grad_input[0] * self.aux_grad_scale,)

        self.rot_head.register_full_backward_hook(scale_aux_grad)

    def forward(self, x, x_rot):
        return self.cls_head(self.encoder(x)), self.rot_head(self.encoder(x_rot))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument("--aux-grad-scale", type=float, default=CONFIG["aux_grad_scale"])
    args = parser.parse_args()
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = MultiTaskNet(CONFIG["n_classes"], args.aux_grad_scale).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"], weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loader = DataLoader(make_dataset(CONFIG["n_train"], CONFIG["n_classes"], CONFIG["img"], 0),
                        batch_size=CONFIG["batch_size"], shuffle=True, drop_last=True)
    rot_gen = torch.Generator().manual_seed(7)

    for epoch in range(args.epochs):
        model.train()
        t0, cls_sum, rot_sum, correct, seen = time.time(), 0.0, 0.0, 0, 0
        for x, y in loader:
            x_rot, k = rotate_batch(x, rot_gen)
            x, y, x_rot, k = x.to(device), y.to(device), x_rot.to(device), k.to(device)
            cls_logits, rot_logits = model(x, x_rot)
            cls_loss = F.cross_entropy(cls_logits, y)
            rot_loss = F.cross_entropy(rot_logits, k)
            loss = cls_loss + CONFIG["aux_weight"] * rot_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            cls_sum += cls_loss.item() * len(y)
            rot_sum += rot_loss.item() * len(y)
            correct += (cls_logits.argmax(1) == y).sum().item()
            seen += len(y)
        scheduler.step()
        print(f"epoch {epoch}: cls {cls_sum / seen:.4f} rot {rot_sum / seen:.4f} "
              f"acc {correct / seen:.3f} lr {scheduler.get_last_lr()[0]:.2e} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = main()
