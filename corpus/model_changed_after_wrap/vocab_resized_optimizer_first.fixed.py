"""A tiny language model on two ranks: the optimizer is built, the model wrapped, then the
embedding and output layers are resized for added tokens; DDP waits for the old layers' gradients
and refuses the next iteration (and the optimizer still holds the old layers)."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>"]


class TinyLM(nn.Module):
    def __init__(self, vocab=100, dim=24):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, vocab)

    def resize_token_embeddings(self, vocab):
        dim = self.embed.embedding_dim
        self.embed = nn.Embedding(vocab, dim)
        self.out = nn.Linear(dim, vocab)

    def forward(self, tokens):
        hidden, _ = self.rnn(self.embed(tokens))
        return self.out(hidden)


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29735"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    vocab = 100 + len(SPECIAL_TOKENS)
    lm = TinyLM()
    lm.resize_token_embeddings(vocab)
    optimizer = torch.optim.Adam(lm.parameters(), lr=3e-3)
    ddp_lm = DDP(lm)
    torch.manual_seed(rank)
    for step in range(20):
        tokens = torch.randint(0, vocab, (4, 9))
        logits = ddp_lm(tokens[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), tokens[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
