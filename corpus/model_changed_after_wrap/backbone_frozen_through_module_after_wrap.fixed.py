"""Linear probing on two ranks: the pretrained model is wrapped, then its backbone is frozen through
`model.module` for the probe; DDP took the backbone's parameters while they required grad and waits
for their gradients, so the second iteration is refused."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel


class ProbeNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def train(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29741"
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    torch.manual_seed(1)
    model = DistributedDataParallel(ProbeNet(), find_unused_parameters=True)
    for p in model.module.backbone.parameters():
        p.requires_grad = False
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)
    generator = torch.Generator().manual_seed(rank)
    for step in range(30):
        x = torch.randn(16, 20, generator=generator)
        y = torch.randint(0, 5, (16,), generator=generator)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(train, args=(2,), nprocs=2, join=True)
