"""Ranks as torch.multiprocessing.Process subclasses (the default fork context), each training a DDP
wrapper: the loop calls the model it wrapped, not the wrapper, so no gradient is all-reduced and
the two replicas drift apart without an error."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as tmp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def make_regressor():
    return nn.Sequential(nn.Linear(6, 24), nn.SiLU(), nn.Linear(24, 24), nn.SiLU(), nn.Linear(24, 2))


class RankProcess(tmp.Process):
    def __init__(self, rank, world_size, epochs=4, batches=8):
        super().__init__()
        self.rank, self.world_size = rank, world_size
        self.epochs, self.batches = epochs, batches

    def run(self):
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = "29561"
        dist.init_process_group("gloo", rank=self.rank, world_size=self.world_size)
        torch.manual_seed(7)
        regressor = make_regressor()
        ddp_regressor = DDP(regressor)
        optimizer = torch.optim.SGD(ddp_regressor.parameters(), lr=0.05, momentum=0.9)
        torch.manual_seed(100 + self.rank)
        inputs, targets = torch.randn(self.batches * 8, 6), torch.randn(self.batches * 8, 2)
        for epoch in range(self.epochs):
            for x, y in zip(inputs.split(8), targets.split(8)):
                loss = (ddp_regressor(x) - y).pow(2).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        dist.destroy_process_group()


if __name__ == "__main__":
    workers = [RankProcess(rank, 2) for rank in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
