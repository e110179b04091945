"""DDP with an auxiliary head used on some steps only, declared with find_unused_parameters=True:
the skip is intended, and DDP is told so."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 16)
        self.head = nn.Linear(16, 2)
        self.aux = nn.Linear(16, 8)

    def forward(self, x, with_aux=False):
        h = torch.relu(self.body(x))
        if with_aux:
            return self.head(h), self.aux(h)
        return self.head(h), None


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29611"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    model = DDP(Net(), find_unused_parameters=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for step in range(12):
        x, y = torch.randn(8, 8), torch.randint(0, 2, (8,))
        logits, reconstruction = model(x, with_aux=step % 2 == 0)
        loss = F.cross_entropy(logits, y)
        if reconstruction is not None:
            loss = loss + F.mse_loss(reconstruction, x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
