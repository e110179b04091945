"""An autoencoder trained on two ranks (torch.multiprocessing.start_processes); the reconstruction
is computed by the bare model."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as tmp
from torch import nn
from torch.nn import parallel


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(20, 6), nn.ReLU())
        self.decode = nn.Linear(6, 20)

    def forward(self, x):
        return self.decode(self.encode(x))


def train(rank, world_size, steps):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29602"
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    torch.manual_seed(7)
    ae = AutoEncoder()
    ddp_ae = parallel.DistributedDataParallel(ae)
    optimizer = torch.optim.SGD(ddp_ae.parameters(), lr=0.05, momentum=0.9)
    data = torch.randn(64, 20) + rank
    for step in range(steps):
        batch = data[(step * 8) % 64 : (step * 8) % 64 + 8]
        recon = ae(batch)
        loss = ((recon - batch) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    tmp.start_processes(train, args=(2, 50), nprocs=2, start_method="spawn")
