# Vibration fault classifier: a 1-D CNN pretrained with BatchNorm, then rebuilt for streaming
# inference with per-sample LayerNorm-style GroupNorm(1, C) and PReLU, and fine-tuned.
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(8)
FAULTS = 4
LENGTH = 128


def signals(n):
    y = torch.randint(0, FAULTS, (n,))
    t = torch.linspace(0, 1, LENGTH)
    base = torch.sin(2 * torch.pi * 25 * t)
    harmonic = torch.sin(2 * torch.pi * (50 + 30 * y[:, None]) * t) * 0.6
    impulses = (torch.rand(n, LENGTH) < 0.02 * y[:, None]).float() * 2
    return (base + harmonic + impulses + 0.3 * torch.randn(n, LENGTH))[:, None], y


backbone = nn.Sequential(
    nn.Conv1d(1, 16, 7, padding=3), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(2),
    nn.Conv1d(16, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
    nn.Flatten(), nn.Linear(32, FAULTS),
)


def run(model, steps, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x, y = signals(32)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


print("pretrain loss", run(backbone, 20, 3e-3))

layers = []
for name, child in backbone.named_children():
    if isinstance(child, nn.BatchNorm1d):
        child = nn.GroupNorm(1, child.num_features)
    elif isinstance(child, nn.ReLU):
        child = nn.PReLU()
    layers.append(child)
streaming = nn.Sequential(*layers)

print("fine-tune loss", run(streaming, 20, 1e-3))
x, y = signals(256)
with torch.no_grad():
    print("accuracy", (streaming(x).argmax(1) == y).float().mean().item())
