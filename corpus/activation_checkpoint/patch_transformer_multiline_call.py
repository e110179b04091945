"""Patch transformer forecaster for a univariate series. Every layer, the patch embedding
included, goes through activation checkpointing when the config asks for it."""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint


@dataclass
class Config:
    patch: int = 8
    patches: int = 6
    dim: int = 32
    depth: int = 2
    horizon: int = 8
    grad_checkpointing: bool = True


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.patch = cfg.patch
        self.proj = nn.Linear(cfg.patch, cfg.dim)
        self.pos = nn.Parameter(torch.zeros(1, cfg.patches, cfg.dim))

    def forward(self, series):
        patches = series.unfold(-1, self.patch, self.patch)
        return self.proj(patches) + self.pos


class MixerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = nn.LayerNorm(cfg.dim)
        self.token_mix = nn.Linear(cfg.patches, cfg.patches)
        self.channel_mix = nn.Sequential(nn.Linear(cfg.dim, 2 * cfg.dim), nn.GELU(), nn.Linear(2 * cfg.dim, cfg.dim))

    def forward(self, x):
        x = x + self.token_mix(self.norm(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mix(self.norm(x))


class Forecaster(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.layers = nn.ModuleList([PatchEmbed(cfg)] + [MixerBlock(cfg) for _ in range(cfg.depth)])
        self.head = nn.Linear(cfg.patches * cfg.dim, cfg.horizon)

    def forward(self, series):
        x = series
        for layer in self.layers:
            if self.cfg.grad_checkpointing:
                x = checkpoint(
                    layer,
                    x,
                )
            else:
                x = layer(x)
        return self.head(x.flatten(1))


def windows(n, cfg):
    t0 = torch.rand(n, 1) * 20
    t = t0 + torch.arange(cfg.patch * cfg.patches + cfg.horizon) * 0.3
    y = torch.sin(t) + 0.5 * torch.sin(0.37 * t)
    return y[:, : -cfg.horizon], y[:, -cfg.horizon:]


cfg = Config()
model = Forecaster(cfg)
optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
for step in range(150):
    past, future = windows(32, cfg)
    loss = (model(past) - future).pow(2).mean()
    optim.zero_grad()
    loss.backward()
    optim.step()
    if step % 50 == 0:
        print(step, loss.item())
