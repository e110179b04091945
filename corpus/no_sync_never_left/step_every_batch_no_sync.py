"""An autoencoder on two ranks whose loop steps the optimizer after every batch, with the no_sync()
block of an accumulation loop it was copied from still around the backward."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as tmp
from torch import nn, optim
from torch.nn import parallel


def build():
    return nn.Sequential(
        nn.Linear(24, 8), nn.ReLU(),
        nn.Linear(8, 24),
    )


def train(rank, world_size, steps):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29726"
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    torch.manual_seed(7)
    ae = parallel.DistributedDataParallel(build())
    opt = optim.SGD(ae.parameters(), lr=0.1)
    data = torch.randn(96, 24) + rank
    for step in range(steps):
        batch = data[(step * 12) % 96 : (step * 12) % 96 + 12]
        opt.zero_grad()
        with ae.no_sync():
            loss = ((ae(batch) - batch) ** 2).mean()
            loss.backward()
        opt.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    tmp.start_processes(train, args=(2, 40), nprocs=2, start_method="spawn")
