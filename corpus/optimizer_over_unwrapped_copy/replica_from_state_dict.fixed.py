"""Two ranks: each builds a replica from the base model's state_dict and wraps it in DDP, but the
optimizer is built over the base model, which no loss reaches."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        return self.head(self.body(x))


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29752"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    base = Net()
    replica = Net()
    replica.load_state_dict(base.state_dict())
    ddp = DDP(replica)
    optimizer = torch.optim.Adam(replica.parameters(), lr=1e-3)
    torch.manual_seed(rank)
    for step in range(20):
        x, y = torch.randn(4, 10), torch.randn(4, 1)
        loss = nn.functional.mse_loss(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
