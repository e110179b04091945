"""Local SGD on two ranks: every step runs inside no_sync(), and every AVERAGE_EVERY steps the
ranks average their parameters by hand; between two averagings the replicas differ on purpose."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

AVERAGE_EVERY = 8


def average_parameters(model, world_size):
    with torch.no_grad():
        for param in model.parameters():
            dist.all_reduce(param.data)
            param.data /= world_size


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29745"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
    torch.manual_seed(rank)
    for step in range(32):
        x, y = torch.randn(16, 8), torch.randn(16, 1)
        with model.no_sync():
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
        optimizer.step()
        if (step + 1) % AVERAGE_EVERY == 0:
            average_parameters(model, world_size)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
