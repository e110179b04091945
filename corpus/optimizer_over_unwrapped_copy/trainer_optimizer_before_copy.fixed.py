"""A Trainer on two ranks builds its optimizer over the model it was given, then wraps a deep copy
of that model, moved to its device, in DDP: the copy is what trains."""
import copy
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(12, 32), nn.Tanh())
        self.out = nn.Linear(32, 4)

    def forward(self, x):
        return self.out(self.encoder(x))


class Trainer:
    def __init__(self, model, rank, lr=1e-3):
        self.device = torch.device("cpu")
        self.model = DistributedDataParallel(copy.deepcopy(model).to(self.device))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr)

    def step(self, x, y):
        loss = F.cross_entropy(self.model(x.to(self.device)), y.to(self.device))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


def run(rank, world):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29753")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(1)
    trainer = Trainer(Classifier(), rank)
    generator = torch.Generator().manual_seed(100 + rank)
    for _ in range(20):
        trainer.step(torch.randn(16, 12, generator=generator), torch.randint(0, 4, (16,), generator=generator))
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(run, args=(2,), nprocs=2)
