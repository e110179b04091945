"""A Trainer that accumulates gradients over ACC iterations on two ranks; its if/else around
no_sync() is the wrong way round: the iteration that steps is the one that skips the all-reduce."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

ACC = 4


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(24, 3)

    def forward(self, x):
        return self.fc(self.pool(F.relu(self.conv(x))).flatten(1))


class Trainer:
    def __init__(self, rank):
        self.model = DistributedDataParallel(ConvNet())
        self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=1e-3)

    def train_step(self, it, images, labels):
        if (it + 1) % ACC != 0:
            with self.model.no_sync():
                loss = F.cross_entropy(self.model(images), labels) / ACC
                loss.backward()
        else:
            loss = F.cross_entropy(self.model(images), labels) / ACC
            loss.backward()
        if (it + 1) % ACC == 0:
            self.optimizer.step()
            self.optimizer.zero_grad()


def run(rank, world):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29724")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(5)
    trainer = Trainer(rank)
    torch.manual_seed(100 + rank)
    for it in range(24):
        trainer.train_step(it, torch.randn(4, 1, 8, 8), torch.randint(0, 3, (4,)))
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(run, args=(2,), nprocs=2)
