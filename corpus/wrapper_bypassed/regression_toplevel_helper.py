"""A regression fit on two ranks; the worker's loop lives in a helper given both the model and its wrapper."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

WORLD = 2


def fit(regressor, wrapped, rank, epochs=4):
    optimizer = torch.optim.SGD(wrapped.parameters(), lr=0.01)
    criterion = nn.SmoothL1Loss()
    xs = torch.linspace(-1, 1, 40).unsqueeze(1) * (rank + 1)
    ys = 3 * xs + 0.5
    for epoch in range(epochs):
        for i in range(0, 40, 10):
            pred = regressor(xs[i : i + 10])
            loss = criterion(pred, ys[i : i + 10])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def worker(rank):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29604"
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.manual_seed(3)
    regressor = nn.Sequential(nn.Linear(1, 8), nn.Softplus(), nn.Linear(8, 1))
    fit(regressor, DDP(regressor), rank)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, nprocs=WORLD)
