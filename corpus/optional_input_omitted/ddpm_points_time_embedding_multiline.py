"""DDPM on a 2-D point cloud (two moons): a residual MLP predicts the noise, every block told the
diffusion step through a learned projection of a sinusoidal time embedding."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class ResidualMLPBlock(nn.Module):
    def __init__(self, width, temb_dim):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width * 2)
        self.fc2 = nn.Linear(width * 2, width)
        self.temb_proj = nn.Linear(temb_dim, width * 2)

    def forward(self, x, temb=None):
        h = self.fc1(self.norm(x))
        if temb is not None:
            h = h + self.temb_proj(temb)
        return x + self.fc2(F.silu(h))


class NoisePredictor(nn.Module):
    def __init__(self, width=64, temb_dim=32, depth=3):
        super().__init__()
        self.temb_dim = temb_dim
        self.time_mlp = nn.Sequential(nn.Linear(temb_dim, temb_dim), nn.SiLU())
        self.inp = nn.Linear(2, width)
        self.trunk = nn.ModuleList(ResidualMLPBlock(width, temb_dim) for _ in range(depth))
        self.final_block = ResidualMLPBlock(width, temb_dim)
        self.out = nn.Linear(width, 2)

    def _run_trunk(self, h, emb):
        for block in self.trunk:
            h = block(h, temb=emb)
        return h

    def forward(self, x, t):
        emb = self.time_mlp(timestep_embedding(t, self.temb_dim))
        h = self._run_trunk(self.inp(x), emb)
        h = self.final_block(
            h
        )
        return self.out(h)


def two_moons(n):
    angle = torch.rand(n) * math.pi
    upper = torch.rand(n) < 0.5
    x = torch.where(upper, torch.cos(angle), 1 - torch.cos(angle))
    y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
    return torch.stack([x, y], dim=1) + 0.05 * torch.randn(n, 2)


T = 50
betas = torch.linspace(1e-4, 0.05, T)
alpha_bar = torch.cumprod(1 - betas, dim=0)

torch.manual_seed(0)
net = NoisePredictor()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for step in range(200):
    x0 = two_moons(128)
    t = torch.randint(0, T, (128,))
    eps = torch.randn_like(x0)
    ab = alpha_bar[t][:, None]
    loss = F.mse_loss(net(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t), eps)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
