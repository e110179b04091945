"""Self-distillation on two ranks: the student starts as a copy of the teacher and is wrapped in
DDP, but the optimizer is built over the teacher, which only gives targets under no_grad."""
import copy
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def make_net():
    return nn.Sequential(nn.Linear(20, 64), nn.GELU(), nn.Linear(64, 10))


def main(rank, world_size, temperature=2.0):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29756"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(4)
    teacher = make_net()
    student = copy.deepcopy(teacher)
    ddp_student = DistributedDataParallel(student)
    optimizer = torch.optim.SGD(teacher.parameters(), lr=0.1, momentum=0.9)
    teacher.eval()
    generator = torch.Generator().manual_seed(rank)
    for step in range(25):
        x = torch.randn(32, 20, generator=generator)
        with torch.no_grad():
            targets = F.softmax(teacher(x + 0.1 * torch.randn_like(x)) / temperature, dim=1)
        logits = ddp_student(x)
        loss = F.kl_div(F.log_softmax(logits / temperature, dim=1), targets, reduction="batchmean")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(main, args=(2,), nprocs=2)
