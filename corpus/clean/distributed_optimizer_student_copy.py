"""Self-distillation on two ranks done right: the student starts as a copy of the teacher, DDP
wraps the student, and the optimizer is built over the wrapper; the teacher only gives targets."""
import copy
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def main(rank, world_size, temperature=2.0):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29757"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(4)
    teacher = nn.Sequential(nn.Linear(20, 64), nn.GELU(), nn.Linear(64, 10)).eval()
    ddp_student = DistributedDataParallel(copy.deepcopy(teacher).train())
    optimizer = torch.optim.SGD(ddp_student.parameters(), lr=0.1, momentum=0.9)
    generator = torch.Generator().manual_seed(rank)
    for step in range(25):
        x = torch.randn(32, 20, generator=generator)
        with torch.no_grad():
            targets = F.softmax(teacher(x + 0.1 * torch.randn_like(x)) / temperature, dim=1)
        loss = F.kl_div(F.log_softmax(ddp_student(x) / temperature, dim=1), targets, reduction="batchmean")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(main, args=(2,), nprocs=2)
