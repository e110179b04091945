"""A residual MLP with stochastic depth: each block is skipped at random while training. The
coin is Python's random module, which checkpointing does not replay (it restores torch's RNG only)."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class DropPathBlock(nn.Module):
    def __init__(self, width, drop):
        super().__init__()
        self.mlp = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width * 2), nn.GELU(), nn.Linear(width * 2, width))
        self.drop = drop

    def forward(self, x):
        if self.training and random.random() < self.drop:
            return x * 1.0
        return x + self.mlp(x)


class Net(nn.Module):
    def __init__(self, width=32, depth=4, drop=0.5):
        super().__init__()
        self.stem = nn.Linear(10, width)
        self.blocks = nn.ModuleList(DropPathBlock(width, drop) for _ in range(depth))
        self.head = nn.Linear(width, 3)

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


random.seed(0)
torch.manual_seed(0)
net = Net()
optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
x, y = torch.randn(256, 10), torch.randint(0, 3, (256,))
for epoch in range(3):
    for xb, yb in zip(x.split(32), y.split(32)):
        loss = F.cross_entropy(net(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
