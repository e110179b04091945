"""A Trainer keeps the bare classifier and its DDP wrapper; train_step calls the bare one."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


class Classifier(nn.Module):
    def __init__(self, features=12, classes=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(features, 32), nn.Tanh())
        self.out = nn.Linear(32, classes)

    def forward(self, x):
        return self.out(self.encoder(x))


class Trainer:
    def __init__(self, rank):
        self.rank = rank
        self.net = Classifier()
        self.ddp = DistributedDataParallel(self.net)
        self.optimizer = torch.optim.Adam(self.ddp.parameters(), lr=1e-3)

    def train_step(self, x, y):
        logits = self.net(x)
        loss = F.cross_entropy(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


def run(rank, world):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29601")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(1)
    trainer = Trainer(rank)
    generator = torch.Generator().manual_seed(100 + rank)
    for epoch in range(3):
        for _ in range(10):
            x = torch.randn(16, 12, generator=generator)
            y = torch.randint(0, 4, (16,), generator=generator)
            trainer.train_step(x, y)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(run, args=(2,), nprocs=2, join=True)
