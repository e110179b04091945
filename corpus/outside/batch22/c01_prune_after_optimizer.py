"""Texture classifier with a fixed edge-filter stem and magnitude pruning applied mid-training."""
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
EPOCHS, PRUNE_AT, PRUNE_AMOUNT = 6, 2, 0.3


def make_textures(n, seed, size=24, n_classes=4):
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    angles = torch.tensor([0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4])
    imgs, labels = [], []
    for _ in range(n):
        c = int(torch.randint(0, n_classes, (1,), generator=g))
        freq = 4 + 4 * torch.rand(1, generator=g)
        phase = 2 * math.pi * torch.rand(1, generator=g)
        a = angles[c]
        wave = torch.sin(2 * math.pi * freq * (xx * torch.cos(a) + yy * torch.sin(a)) + phase)
        imgs.append(wave + 0.5 * torch.randn(size, size, generator=g))
        labels.append(c)
    return TensorDataset(torch.stack(imgs).unsqueeze(1), torch.tensor(labels))


def sobel_stem():
    """Fixed edge filters (not trained)."""
    conv = nn.Conv2d(1, 4, 3, padding=1, bias=False)
    k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    with torch.no_grad():
        conv.weight.copy_(torch.stack([k, k.t(), k + k.t(), k - k.t()]).unsqueeze(1) / 4)
    conv.weight.requires_grad_(False)
    return conv


class TextureNet(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.stem = sobel_stem()
        self.body = nn.Sequential(
            nn.Conv2d(5, 24, 3, padding=1), nn.BatchNorm2d(24), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(24, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, n_classes))

    def forward(self, x):
        return self.classifier(self.body(torch.cat([x, self.stem(x)], dim=1)))


def sparsity(model):
    zeros = total = 0
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and hasattr(m, "weight_mask"):
            zeros += (m.weight == 0).sum().item()
            total += m.weight.numel()
    return zeros / max(total, 1)


train_loader = DataLoader(make_textures(480, seed=1), batch_size=48, shuffle=True)
valid_loader = DataLoader(make_textures(160, seed=2), batch_size=160)

model = TextureNet().to(device)
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05,
                            momentum=0.9, weight_decay=5e-4, nesterov=True)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[4], gamma=0.2)

start = time.time()
for epoch in range(EPOCHS):
    if epoch == PRUNE_AT:
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)) and module.weight.requires_grad:
                prune.l1_unstructured(module, name="weight", amount=PRUNE_AMOUNT)
        print(f"pruned {PRUNE_AMOUNT:.0%} of trainable conv/linear weights")
    model.train()
    total = 0.0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    scheduler.step()
    model.eval()
    with torch.no_grad():
        x, y = next(iter(valid_loader))
        acc = (model(x.to(device)).argmax(1) == y.to(device)).float().mean().item()
    print(f"epoch {epoch} loss {total / len(train_loader.dataset):.4f} acc {acc:.3f} "
          f"sparsity {sparsity(model):.2f} ({time.time() - start:.1f}s)")
