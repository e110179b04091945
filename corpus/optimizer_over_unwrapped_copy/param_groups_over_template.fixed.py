"""Fine-tuning on two ranks with a smaller learning rate for the backbone: the param groups are
taken from the template network, and DDP wraps a deep copy of it."""
import copy
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
        self.backbone = nn.Sequential(nn.Linear(16, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU())
        self.head = nn.Linear(48, 6)

    def forward(self, x):
        return self.head(self.backbone(x))


def worker(rank, world_size, base_lr=1e-3):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29755"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    net = Net()
    model = DDP(copy.deepcopy(net))
    optimizer = torch.optim.AdamW(
        [
            {"params": model.module.backbone.parameters(), "lr": base_lr / 10},
            {"params": model.module.head.parameters()},
        ],
        lr=base_lr,
        weight_decay=0.05,
    )
    torch.manual_seed(rank)
    for step in range(20):
        x, y = torch.randn(16, 16), torch.randint(0, 6, (16,))
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
