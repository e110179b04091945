"""Diffusion UNet whose output stage is an nn.Sequential holding a time-conditioned residual block:
nn.Sequential passes its input alone, so that block never gets the time embedding and skips its
time projection (guided-diffusion's TimestepEmbedSequential exists for this). The other blocks are
called directly with the embedding."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class TimeResBlock(nn.Module):
    def __init__(self, ch, emb_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, ch)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.emb_proj = nn.Linear(emb_dim, ch)
        self.norm2 = nn.GroupNorm(4, ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if emb is not None:
            h = h + self.emb_proj(emb)[:, :, None, None]
        return x + self.conv2(F.silu(self.norm2(h)))


class UNet(nn.Module):
    def __init__(self, ch=16, emb_dim=32):
        super().__init__()
        self.emb_dim = emb_dim
        self.time_embed = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.stem = nn.Conv2d(1, ch, 3, padding=1)
        self.down = TimeResBlock(ch, emb_dim)
        self.middle = TimeResBlock(ch, emb_dim)
        self.out = nn.Sequential(TimeResBlock(ch, emb_dim), nn.GroupNorm(4, ch), nn.SiLU(), nn.Conv2d(ch, 1, 3, padding=1))

    def forward(self, x, t):
        half = self.emb_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half) / half)
        emb = self.time_embed(torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], dim=1))
        h = self.down(self.stem(x), emb)
        h = self.middle(h, emb)
        return self.out(h)


torch.manual_seed(0)
T = 40
abar = torch.cumprod(1 - torch.linspace(1e-4, 0.08, T), 0)
unet = UNet()
opt = torch.optim.Adam(unet.parameters(), lr=1e-3)
for it in range(50):
    x0 = torch.rand(16, 1, 8, 8).round() * 2 - 1
    t = torch.randint(0, T, (16,))
    noise = torch.randn_like(x0)
    a = abar[t][:, None, None, None]
    loss = F.mse_loss(unet(a.sqrt() * x0 + (1 - a).sqrt() * noise, t.float()), noise)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 10 == 0:
        print(it, f"{loss.item():.4f}")
