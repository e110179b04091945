"""Sinusoidal time features from a fixed frequency table, fed to a small regressor."""
import math

import torch
from torch import nn


class TimeFeatures(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.freqs = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2).float() / dim)
        self.phase = torch.zeros(dim // 2) + math.pi / 4

    def forward(self, t):
        angles = t[:, None] * self.freqs[None, :] + self.phase
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Regressor(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.features = TimeFeatures(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 32), nn.SiLU(), nn.Linear(32, 1))

    def forward(self, t):
        return self.mlp(self.features(t)).squeeze(-1)


torch.manual_seed(0)
t = torch.rand(400) * 10
target = torch.sin(0.7 * t) + 0.3 * torch.cos(2.1 * t)
model = Regressor()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(t), target)
    loss.backward()
    opt.step()
print(f"loss {loss.item():.4f}")
