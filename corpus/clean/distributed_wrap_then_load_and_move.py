"""A wrapped model on two ranks that is still touched after the wrapping, harmlessly: a checkpoint
loaded into it in place (the same on every rank), a move to the device it is on, train mode."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def worker(rank, world_size, checkpoint):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29744"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    device = torch.device("cpu")
    model = DDP(nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1)))
    model.module.load_state_dict(checkpoint)
    model.to(device)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    torch.manual_seed(rank)
    for step in range(20):
        x = torch.randn(8, 5, device=device)
        loss = ((model(x) - x.sum(dim=1, keepdim=True)) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    torch.manual_seed(0)
    state = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1)).state_dict()
    mp.spawn(worker, args=(2, state), nprocs=2)
