# Source: https://github.com/pytorch/pytorch/issues/82411
# Low-light image classification with a learnable enhancement curve (per-channel gain and gamma)
# trained jointly with the CNN. The enhancer is plugged in as the Dataset's transform, so it runs
# inside __getitem__ and returns images that require grad. With num_workers > 0 the workers have
# to collate those samples into shared memory (torch.stack(..., out=...)), which autograd refuses:
# the first batch fails with "Caught RuntimeError in DataLoader worker process 0 ... stack():
# functions with out=... arguments don't support automatic differentiation". Nothing trains.
# (Even with workers, the graph could not cross the process boundary back to the enhancer.)
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

device = "cuda" if torch.cuda.is_available() else "cpu"

SETTINGS = {
    "n_train": 1536,
    "n_val": 384,
    "img_size": 24,
    "batch_size": 64,
    "num_workers": 2,
    "epochs": 4,
    "lr": 2e-3,
    "seed": 21,
}


def render_shape(kind, size, gen):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    cx, cy = (torch.rand(2, generator=gen) - 0.5) * 0.8
    r = 0.35 + 0.2 * torch.rand(1, generator=gen)
    if kind == 0:
        m = ((xx - cx) ** 2 + (yy - cy) ** 2) < r ** 2
    elif kind == 1:
        m = ((xx - cx).abs() < r) & ((yy - cy).abs() < r)
    elif kind == 2:
        m = ((xx - cx).abs() + (yy - cy).abs()) < r
    else:
        m = ((yy - cy).abs() < r * 0.35) | ((xx - cx).abs() < r * 0.35)
    return m.float()


class LowLightShapes(Dataset):
    """Four shape classes photographed 'at night': dark, colour-cast, noisy."""

    def __init__(self, n, size, seed, transform=None):
        gen = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 4, (n,), generator=gen)
        imgs = []
        for y in self.labels.tolist():
            shape = render_shape(y, size, gen)
            color = 0.4 + 0.6 * torch.rand(3, 1, 1, generator=gen)
            scene = 0.3 * torch.rand(3, 1, 1, generator=gen) + shape * color
            exposure = 0.05 + 0.1 * torch.rand(1, generator=gen)
            img = (scene * exposure) ** 1.6 + 0.01 * torch.randn(3, size, size, generator=gen)
            imgs.append(img.clamp(0, 1))
        self.images = torch.stack(imgs)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i]
        if self.transform is not None:
            img = self.transform(img)
        return img, self.labels[i]


class CurveEnhancer(nn.Module):
    """y = clamp(gain * x) ** gamma, per channel, with both gain and gamma learned."""

    def __init__(self, channels=3):
        super().__init__()
        self.log_gain = nn.Parameter(torch.zeros(channels))
        self.log_gamma = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        shape = (-1, 1, 1) if x.dim() == 3 else (1, -1, 1, 1)
        gain = self.log_gain.exp().view(shape)
        gamma = self.log_gamma.exp().view(shape)
        return (x * gain).clamp(1e-4, 1.0) ** gamma


class SmallCNN(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    model.train()
    return correct / total


torch.manual_seed(SETTINGS["seed"])
enhancer = CurveEnhancer().to(device)
model = SmallCNN().to(device)

train_set = LowLightShapes(SETTINGS["n_train"], SETTINGS["img_size"], SETTINGS["seed"], transform=enhancer)
val_set = LowLightShapes(SETTINGS["n_val"], SETTINGS["img_size"], SETTINGS["seed"] + 1, transform=enhancer)
train_loader = DataLoader(train_set, batch_size=SETTINGS["batch_size"], shuffle=True,
                          num_workers=SETTINGS["num_workers"], drop_last=True)
val_loader = DataLoader(val_set, batch_size=128, num_workers=SETTINGS["num_workers"])

optimizer = torch.optim.Adam([
    {"params": model.parameters()},
    {"params": enhancer.parameters(), "lr": SETTINGS["lr"] * 5},
], lr=SETTINGS["lr"])

t0 = time.time()
for epoch in range(1, SETTINGS["epochs"] + 1):
    seen, running = 0, 0.0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item() * y.size(0)
        seen += y.size(0)
    acc = evaluate(model, val_loader)
    gain = enhancer.log_gain.exp().tolist()
    print(f"epoch {epoch} loss {running / seen:.4f} val acc {acc:.3f} "
          f"gain {[round(g, 2) for g in gain]} ({time.time() - t0:.1f}s)")
