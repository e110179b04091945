"""MLP-Mixer on synthetic 8x8 images: a `freeze_depth` number of the lowest mixer blocks keep
their weights while the rest of the network trains."""
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Config:
    depth: int = 12
    freeze_depth: int = 2
    dim: int = 24
    patches: int = 16
    epochs: int = 2
    lr: float = 1e-3


class MixerBlock(nn.Module):
    def __init__(self, patches, dim):
        super().__init__()
        self.token_norm = nn.LayerNorm(dim)
        self.token_mix = nn.Sequential(nn.Linear(patches, patches), nn.GELU())
        self.channel_norm = nn.LayerNorm(dim)
        self.channel_mix = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.token_mix(self.token_norm(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mix(self.channel_norm(x))


class Mixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.stem = nn.Linear(4, cfg.dim)
        self.mixer_blocks = nn.Sequential(*[MixerBlock(cfg.patches, cfg.dim) for _ in range(cfg.depth)])
        self.head = nn.Linear(cfg.dim, 3)

    def forward(self, images):
        patches = images.unfold(1, 2, 2).unfold(2, 2, 2).reshape(images.shape[0], -1, 4)
        return self.head(self.mixer_blocks(self.stem(patches)).mean(dim=1))


def set_trainable(model, cfg):
    frozen_keys = [f"mixer_blocks.{i}." for i in range(cfg.freeze_depth)]
    for n, p in model.named_parameters():
        p.requires_grad = not any(k in n for k in frozen_keys)


def run(cfg):
    torch.manual_seed(0)
    model = Mixer(cfg)
    set_trainable(model, cfg)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    for epoch in range(cfg.epochs):
        for _ in range(15):
            images = torch.rand(16, 8, 8)
            labels = (images[:, :4].mean(dim=(1, 2)) * 3).long().clamp(max=2)
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    run(Config())
