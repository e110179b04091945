"""A GPU script (nccl, cuda:rank, device_ids) run on a machine without GPUs: gradfix gives the ranks
gloo and the CPU, and finds the unused layer all the same."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Tagger(nn.Module):
    def __init__(self, vocab=50, dim=16, tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.classify = nn.Linear(dim, tags)
        self.crf_scores = nn.Linear(dim, tags * tags)

    def forward(self, tokens):
        hidden, _ = self.rnn(self.embed(tokens))
        return self.classify(hidden)


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = "29606"
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)
    device = torch.device(f"cuda:{rank}")
    model = DDP(Tagger().to(device), device_ids=[rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(8):
        tokens = torch.randint(0, 50, (4, 7), device=device)
        tags = torch.randint(0, 5, (4, 7), device=device)
        loss = nn.functional.cross_entropy(model(tokens).reshape(-1, 5), tags.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
