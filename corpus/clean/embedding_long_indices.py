import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class BagOfWords(nn.Module):
    def __init__(self, vocab_size, dim, n_classes):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.out = nn.Linear(dim, n_classes)

    def forward(self, tokens):
        return self.out(self.embed(tokens).mean(dim=1))


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=50)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=12)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.1)
    return parser.parse_args()


args = parse_args()
torch.manual_seed(0)

tokens = torch.randint(0, args.vocab, (64, args.seq_len))  # int64 token ids
labels = torch.randint(0, 2, (64,), dtype=torch.int64)

model = BagOfWords(args.vocab, args.dim, 2)
optimizer = optim.SGD(model.parameters(), lr=args.lr)
criterion = nn.CrossEntropyLoss()

for step in range(args.steps):
    optimizer.zero_grad()
    loss = criterion(model(tokens), labels)
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.4f}")
