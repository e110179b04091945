"""A physics-style regression in float64 on two ranks: the model is converted with .double() after
DDP laid out its float32 buckets, and the replicas drift apart."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29733"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    net.double()
    ddp_model = DistributedDataParallel(net)
    optimizer = torch.optim.Adam(ddp_model.parameters(), lr=1e-3)
    torch.manual_seed(rank)
    points = torch.rand(64, 3, dtype=torch.float64)
    target = (points ** 2).sum(dim=1, keepdim=True)
    for epoch in range(25):
        for i in range(0, 64, 16):
            loss = torch.mean((ddp_model(points[i : i + 16]) - target[i : i + 16]) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
