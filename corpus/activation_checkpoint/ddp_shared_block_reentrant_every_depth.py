"""A universal transformer: one block applied at every depth, checkpointed, under
DistributedDataParallel (one process here; torchrun launches more)."""
import os
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.checkpoint import checkpoint


class Universal(nn.Module):
    def __init__(self, dim=32, depth=3):
        super().__init__()
        self.embed = nn.Linear(8, dim)
        self.block = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())
        self.depth = depth
        self.head = nn.Linear(dim, 2)

    def forward(self, x):
        h = self.embed(x)
        for _ in range(self.depth):
            h = h + checkpoint(self.block, h, use_reentrant=True)
        return self.head(h)


def main():
    if "RANK" in os.environ:
        dist.init_process_group("gloo")
    else:
        folder = tempfile.mkdtemp()
        dist.init_process_group("gloo", init_method=f"file://{folder}/init", rank=0, world_size=1)
    torch.manual_seed(0)
    model = DistributedDataParallel(Universal())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(128, 8), torch.randint(0, 2, (128,))
    for epoch in range(3):
        for xb, yb in zip(x.split(32), y.split(32)):
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.3f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
