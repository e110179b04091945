"""An embedding-bag text classifier on two ranks; a helper picks the accumulation context for each
micro-batch and returns no_sync() for the last one instead of for the others."""
import contextlib
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

VOCAB, CLASSES = 500, 4


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, 32, mode="mean")
        self.head = nn.Linear(32, CLASSES)

    def forward(self, tokens, offsets):
        return self.head(self.bag(tokens, offsets))


def accumulation_context(model, micro, micro_batches):
    return contextlib.nullcontext() if micro == micro_batches - 1 else model.no_sync()


def worker(rank, world_size, micro_batches=2):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29725"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(3)
    model = DDP(BagClassifier())
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
    torch.manual_seed(rank)
    for step in range(10):
        for micro in range(micro_batches):
            tokens = torch.randint(0, VOCAB, (40,))
            offsets = torch.arange(0, 40, 5)
            labels = torch.randint(0, CLASSES, (8,))
            with accumulation_context(model, micro, micro_batches):
                loss = nn.functional.cross_entropy(model(tokens, offsets), labels)
                loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
