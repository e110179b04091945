"""Gradient accumulation over a DistributedSampler's batches on two ranks: the batches that do not
step run inside no_sync(), the one that steps syncs."""
import os
from contextlib import nullcontext

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def main_worker(rank, world_size, dataset, accum_steps=2):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29742"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    ddp = DDP(nn.Sequential(nn.Linear(6, 20), nn.Tanh(), nn.Linear(20, 1)))
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=2e-3)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank)
    loader = DataLoader(dataset, batch_size=8, sampler=sampler)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for i, (x, y) in enumerate(loader):
            stepping = (i + 1) % accum_steps == 0
            with nullcontext() if stepping else ddp.no_sync():
                loss = nn.functional.mse_loss(ddp(x), y) / accum_steps
                loss.backward()
            if stepping:
                optimizer.step()
                optimizer.zero_grad()
    dist.destroy_process_group()


if __name__ == "__main__":
    xs = torch.randn(128, 6)
    mp.spawn(main_worker, args=(2, TensorDataset(xs, xs.mean(dim=1, keepdim=True))), nprocs=2)
