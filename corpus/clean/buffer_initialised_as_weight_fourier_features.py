"""A coordinate MLP with random Fourier features: the projection is drawn once and stays fixed
(Tancik et al.), so it is a buffer; only the MLP trains."""
import math

import torch
from torch import nn

torch.manual_seed(0)


class FourierMLP(nn.Module):
    def __init__(self, n_freq=16, scale=3.0):
        super().__init__()
        self.register_buffer("B", torch.randn(2, n_freq) * scale)
        self.mlp = nn.Sequential(nn.Linear(2 * n_freq, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, xy):
        proj = 2 * math.pi * xy @ self.B
        return self.mlp(torch.cat([proj.sin(), proj.cos()], dim=-1))


model = FourierMLP()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
xy = torch.rand(128, 2)
target = torch.sin(6 * xy[:, :1]) * torch.cos(4 * xy[:, 1:])
for _ in range(40):
    opt.zero_grad()
    loss = ((model(xy) - target) ** 2).mean()
    loss.backward()
    opt.step()
