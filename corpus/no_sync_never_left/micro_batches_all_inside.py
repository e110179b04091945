"""Gradient accumulation over four micro-batches on two ranks; every micro-batch, the last one
too, runs inside no_sync(), so the optimizer steps on gradients no rank ever shared."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

ACCUMULATE = 4


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29721"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 1)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.manual_seed(rank)
    for step in range(6):
        optimizer.zero_grad()
        for micro in range(ACCUMULATE):
            x, y = torch.randn(8, 12), torch.randn(8, 1)
            with model.no_sync():
                loss = nn.functional.mse_loss(model(x), y) / ACCUMULATE
                loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
