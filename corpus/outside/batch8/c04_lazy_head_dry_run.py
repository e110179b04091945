"""Land-cover patch classifier with a shape-agnostic head.

The head is an `nn.LazyLinear`, so the flattened feature size does not have to be computed by
hand; as the PyTorch docs recommend, a dry-run forward materialises it *before* the optimizer
is built.  `self.taps` is a plain dict of references to already registered blocks, used only to
grab intermediate feature maps for logging.  Validation runs under `torch.no_grad()`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class PatchClassifier(nn.Module):
    def __init__(self, in_ch=4, n_classes=5):
        super().__init__()
        self.down1 = nn.Sequential(nn.Conv2d(in_ch, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.SiLU(), nn.MaxPool2d(2))
        self.down2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.GroupNorm(4, 32), nn.SiLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(64), nn.ReLU(), nn.Linear(64, n_classes))
        self.taps = {"down1": self.down1, "down2": self.down2}
        self.feature_maps = {}

    def forward(self, x):
        h = x
        for name, block in self.taps.items():
            h = block(h)
            self.feature_maps[name] = h.detach()
        return self.head(h)


def make_patches(n=160, size=16):
    y = torch.randint(0, 5, (n,))
    x = 0.2 * torch.randn(n, 4, size, size)
    x[torch.arange(n), y % 4] += 1.0
    x[y == 4] += torch.linspace(-1, 1, size).view(1, 1, size)
    return x, y


if __name__ == "__main__":
    x, y = make_patches()
    x_val, y_val = make_patches(64)
    model = PatchClassifier()
    model(x[:2])  # dry run: materialise the lazy head
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    for epoch in range(3):
        model.train()
        for i in range(0, x.shape[0], 32):
            loss = F.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x_val).argmax(1) == y_val).float().mean().item()
        print(f"epoch {epoch} loss {loss.item():.4f} val acc {acc:.3f}")
