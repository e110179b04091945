"""DDP over two ranks started with multiprocessing.Process in the spawn context, and a logger process
that reads the losses from a queue (it joins no process group): the model keeps a `confidence` head
that forward() never calls; DDP stops at the second iteration ("Expected to have finished
reduction ... Parameter indices which did not receive grad")."""
import multiprocessing
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


class Classifier(nn.Module):
    def __init__(self, features=12, hidden=32, classes=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.logits = nn.Linear(hidden, classes)
        self.confidence = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.logits(self.encoder(x))


def log_losses(queue):
    while True:
        entry = queue.get()
        if entry is None:
            break
        step, loss = entry
        print(f"step {step}: loss {loss:.4f}")


def train(rank, world_size, queue, steps=30):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29547"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(1234)
    model = DistributedDataParallel(Classifier())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(rank)
    for step in range(steps):
        x = torch.randn(16, 12, generator=generator)
        labels = torch.randint(0, 4, (16,), generator=generator)
        loss = F.cross_entropy(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if rank == 0:
            queue.put((step, loss.item()))
    dist.destroy_process_group()


if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    losses = context.Queue()
    logger = context.Process(target=log_losses, args=(losses,))
    logger.start()
    ranks = [context.Process(target=train, args=(rank, 2, losses)) for rank in range(2)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join()
    losses.put(None)
    logger.join()
    if any(process.exitcode for process in ranks):
        raise SystemExit("a rank failed")
