"""Local accumulation under no_sync() on two ranks, on purpose: every backward stays local, and the
gradients are averaged by hand with one all_reduce per parameter before the step."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

ACCUMULATE = 3


def average_gradients(model, world_size):
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= world_size


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29741"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    torch.manual_seed(rank)
    for step in range(6):
        optimizer.zero_grad()
        with model.no_sync():
            for micro in range(ACCUMULATE):
                x, y = torch.randn(4, 8), torch.randint(0, 2, (4,))
                loss = nn.functional.cross_entropy(model(x), y) / ACCUMULATE
                loss.backward()
        average_gradients(model, world_size)
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
