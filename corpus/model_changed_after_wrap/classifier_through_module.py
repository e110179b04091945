"""Fine-tuning on two ranks: the backbone is wrapped first (with find_unused_parameters, so DDP
does not complain), then a new classifier is put in through `model.module`; it never takes part in
the all-reduce, and each rank trains its own."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel


class Backbone(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.classifier = nn.Linear(64, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def train(rank, world_size, num_classes=5):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29732"
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    torch.manual_seed(1)
    model = Backbone()
    model = DistributedDataParallel(model, find_unused_parameters=True)
    model.module.classifier = nn.Linear(64, num_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(rank)
    for step in range(30):
        x = torch.randn(16, 20, generator=generator)
        y = torch.randint(0, num_classes, (16,), generator=generator)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(train, args=(2,), nprocs=2, join=True)
