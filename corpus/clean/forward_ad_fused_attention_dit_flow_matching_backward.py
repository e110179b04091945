# Rectified-flow training of a small diffusion transformer on synthetic waveforms: each 32-sample
# signal is cut into 8 patches, and the model regresses the straight-line velocity from data to
# noise at a random time, trained with an ordinary backward pass.
import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
LENGTH, PATCH, DIM, HEADS = 32, 4, 32, 4


def waves(n):
    grid = torch.linspace(0, 1, LENGTH)
    freq = torch.randint(1, 4, (n, 1)).float()
    phase = torch.rand(n, 1) * 2 * math.pi
    return torch.sin(2 * math.pi * freq * grid + phase) * (0.5 + 0.5 * torch.rand(n, 1))


def time_features(t):
    freqs = torch.exp(-math.log(100.0) * torch.arange(8) / 8)
    return torch.cat([torch.sin(t[:, None] * freqs * 50), torch.cos(t[:, None] * freqs * 50)], dim=-1)


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(DIM, DIM)

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, DIM))


class DiTBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(DIM, elementwise_affine=False), nn.LayerNorm(DIM, elementwise_affine=False)
        self.attn = SelfAttention()
        self.mlp = nn.Sequential(nn.Linear(DIM, 2 * DIM), nn.GELU(), nn.Linear(2 * DIM, DIM))
        self.ada = nn.Linear(DIM, 4 * DIM)

    def forward(self, x, c):
        shift1, scale1, shift2, scale2 = self.ada(c)[:, None].chunk(4, dim=-1)
        x = x + self.attn(self.norm1(x) * (1 + scale1) + shift1)
        return x + self.mlp(self.norm2(x) * (1 + scale2) + shift2)


class DiT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(PATCH, DIM)
        self.pos = nn.Parameter(torch.randn(1, LENGTH // PATCH, DIM) * 0.02)
        self.cond = nn.Sequential(nn.Linear(16, DIM), nn.SiLU(), nn.Linear(DIM, DIM))
        self.blocks = nn.ModuleList([DiTBlock() for _ in range(2)])
        self.out = nn.Linear(DIM, PATCH)

    def forward(self, z, t):
        c = self.cond(time_features(t))
        x = self.embed(z.view(z.shape[0], -1, PATCH)) + self.pos
        for block in self.blocks:
            x = block(x, c)
        return self.out(x).reshape(z.shape[0], LENGTH)


model = DiT()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
for step in range(20):
    x = waves(32)
    noise = torch.randn_like(x)
    t = torch.rand(32)
    z = (1 - t[:, None]) * x + t[:, None] * noise
    loss = F.mse_loss(model(z, t), noise - x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"flow matching loss {loss.item():.4f}")
