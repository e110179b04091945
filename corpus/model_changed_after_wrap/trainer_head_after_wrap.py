"""A Trainer wraps its network in DDP, then gives it a fresh head for the task at hand, through
the wrapper; with find_unused_parameters DDP says nothing, and the head trains apart on each rank."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.trunk(x))


class Trainer:
    def __init__(self, rank, classes):
        self.rank = rank
        self.net = Net()
        self.model = torch.nn.parallel.DistributedDataParallel(self.net, find_unused_parameters=True)
        self.model.module.head = nn.Linear(8, classes)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.05, momentum=0.9)

    def fit(self, signals, labels, epochs=5):
        for epoch in range(epochs):
            for i in range(0, len(signals), 8):
                loss = F.cross_entropy(self.model(signals[i : i + 8]), labels[i : i + 8])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()


def run(rank, world):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29736")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(2)
    trainer = Trainer(rank, classes=4)
    generator = torch.Generator().manual_seed(rank)
    signals = torch.randn(32, 2, 50, generator=generator)
    labels = torch.randint(0, 4, (32,), generator=generator)
    trainer.fit(signals, labels)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(run, args=(2,), nprocs=2)
