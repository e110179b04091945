"""Two ranks: DDP wraps a copy of the loaded model moved to the device, the optimizer is built over
the wrapper, and an EMA copy of the weights follows the trained replica under no_grad."""
import copy
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def worker(rank, world_size, decay=0.99):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29754"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    device = torch.device("cpu")
    torch.manual_seed(0)
    model_cpu = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
    ddp = DDP(copy.deepcopy(model_cpu).to(device))
    ema = copy.deepcopy(ddp.module).requires_grad_(False)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05)
    torch.manual_seed(rank)
    for step in range(20):
        x, y = torch.randn(8, 10, device=device), torch.randn(8, 1, device=device)
        loss = nn.functional.mse_loss(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), ddp.module.parameters()):
                e.mul_(decay).add_(p, alpha=1 - decay)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
