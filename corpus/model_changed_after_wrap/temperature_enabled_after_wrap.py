"""A contrastive encoder on two ranks whose learnable temperature is switched on after the model
was wrapped: the new parameter is never all-reduced, and each rank learns its own."""
import math
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class Encoder(nn.Module):
    def __init__(self, dim=32, out=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, out))
        self.log_scale = None

    def learn_temperature(self, initial=0.5):
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / initial)))

    def forward(self, x):
        z = F.normalize(self.net(x), dim=1)
        return z * self.log_scale.exp() if self.log_scale is not None else z


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29734"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    encoder = Encoder()
    model = DDP(encoder)
    model.module.learn_temperature()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.manual_seed(rank)
    for step in range(20):
        x = torch.randn(12, 32)
        a, b = model(x + 0.5 * torch.randn_like(x)), model(x + 0.5 * torch.randn_like(x))
        logits = a @ b.t()
        loss = F.cross_entropy(logits, torch.arange(12))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
