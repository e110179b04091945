"""Ranks started with torch.multiprocessing.Process (fork) next to a data-loading helper process that
joins no process group and feeds both ranks through queues; the auxiliary head is used, in an
auxiliary loss, so DDP gets a gradient for every parameter. Correct."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, 32), nn.GELU())
        self.main = nn.Linear(32, 3)
        self.aux = nn.Linear(32, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.main(h), self.aux(h)


def make_batches(queues, batches):
    generator = torch.Generator().manual_seed(0)
    for _ in range(batches):
        for queue in queues:
            x = torch.randn(8, 10, generator=generator)
            queue.put((x.numpy(), torch.randint(0, 3, (8,), generator=generator).numpy(), x.sum(1, keepdim=True).numpy()))


def train(rank, world_size, queue, batches):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29573"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(3)
    model = DDP(TwoHeads())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
    for step in range(batches):
        x, labels, total = (torch.from_numpy(array) for array in queue.get())
        logits, guess = model(x)
        loss = F.cross_entropy(logits, labels) + 0.1 * F.mse_loss(guess, total)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    batches, world_size = 12, 2
    queues = [mp.Queue() for _ in range(world_size)]
    helper = mp.Process(target=make_batches, args=(queues, batches), daemon=True)
    helper.start()
    ranks = [mp.Process(target=train, args=(rank, world_size, queues[rank], batches)) for rank in range(world_size)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join()
    assert all(process.exitcode == 0 for process in ranks)
