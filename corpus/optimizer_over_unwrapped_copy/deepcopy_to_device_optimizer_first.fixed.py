"""Two ranks: the optimizer is built over the model as it was loaded on the CPU, and DDP wraps a
copy of it moved to the rank's device; the copy trains, nothing steps it."""
import copy
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29751"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    device = torch.device("cpu")
    torch.manual_seed(0)
    model_cpu = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
    ddp = DDP(copy.deepcopy(model_cpu).to(device))
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05)
    torch.manual_seed(rank)
    for step in range(20):
        x, y = torch.randn(8, 10, device=device), torch.randn(8, 1, device=device)
        loss = nn.functional.mse_loss(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
