"""Consistency training with a DistributedSampler: two augmented views, both through the bare net."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def augment(x):
    return x + 0.1 * torch.randn_like(x)


def main_worker(rank, world_size, dataset):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29603"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    backbone = nn.Sequential(nn.Linear(10, 24), nn.GELU(), nn.Linear(24, 8))
    model = DDP(backbone)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank)
    loader = DataLoader(dataset, batch_size=16, sampler=sampler)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for (x,) in loader:
            a = F.normalize(backbone(augment(x)), dim=1)
            b = F.normalize(backbone(augment(x)), dim=1)
            loss = (2 - 2 * (a * b).sum(dim=1)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    data = TensorDataset(torch.randn(128, 10))
    mp.spawn(main_worker, args=(2, data), nprocs=2)
