"""Regression with a DistributedSampler; the optimizer steps every `accum_steps` batches, and every
batch's backward runs inside no_sync(), the stepping ones too."""
import os
from contextlib import nullcontext

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def main_worker(rank, world_size, dataset, accum_steps=2, use_amp=False):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29723"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 20), nn.Tanh(), nn.Linear(20, 20), nn.Tanh(), nn.Linear(20, 1))
    ddp = DDP(net)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=2e-3, weight_decay=0.01)
    criterion = nn.SmoothL1Loss()
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(dataset, batch_size=8, sampler=sampler)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for i, (x, y) in enumerate(loader):
            autocast = torch.autocast("cpu", dtype=torch.bfloat16) if use_amp else nullcontext()
            with ddp.no_sync():
                with autocast:
                    loss = criterion(ddp(x), y) / accum_steps
                loss.backward()
            if (i + 1) % accum_steps == 0:
                optimizer.step()
                optimizer.zero_grad()
    dist.destroy_process_group()


if __name__ == "__main__":
    xs = torch.randn(160, 6)
    data = TensorDataset(xs, xs.sum(dim=1, keepdim=True).sin())
    mp.spawn(main_worker, args=(2, data), nprocs=2)
