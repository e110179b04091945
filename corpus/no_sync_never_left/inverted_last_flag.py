"""A classifier trained with gradient accumulation on two ranks; the flag that should keep the
first micro-batches local is inverted, so the micro-batch before step() is the one not synced."""
import contextlib
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel


class MLP(nn.Module):
    def __init__(self, features=16, hidden=48, classes=5):
        super().__init__()
        self.hidden = nn.Linear(features, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.out(F.gelu(self.hidden(x)))


def train(rank, world_size, accumulation=3):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29722"
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    torch.manual_seed(11)
    model = DistributedDataParallel(MLP())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(rank)
    for step in range(8):
        optimizer.zero_grad(set_to_none=True)
        for micro in range(accumulation):
            x = torch.randn(6, 16, generator=generator)
            y = torch.randint(0, 5, (6,), generator=generator)
            last = micro == accumulation - 1
            with model.no_sync() if last else contextlib.nullcontext():
                loss = F.cross_entropy(model(x), y) / accumulation
                loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(train, args=(2,), nprocs=2, join=True)
