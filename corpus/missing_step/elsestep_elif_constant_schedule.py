"""Sentiment classifier over bag-of-embeddings, with a choice of learning-rate schedule."""
import argparse

import torch
from torch import nn, optim

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=3e-3)
parser.add_argument("--lr-schedule", default="linear", choices=["linear", "constant"])
parser.add_argument("--epochs", type=int, default=4)
args = parser.parse_args()


class BagClassifier(nn.Module):
    def __init__(self, vocab=200, dim=24, classes=3):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.out(self.embed(tokens))


torch.manual_seed(1)
tokens = torch.randint(0, 200, (48, 10))
labels = tokens[:, 0] % 3
model = BagClassifier()
optimizer = optim.AdamW(model.parameters(), lr=args.lr)
total = args.epochs * 6
linear_schedule = optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / total)

for epoch in range(args.epochs):
    for start in range(0, 48, 8):
        logits = model(tokens[start:start + 8])
        loss = nn.functional.cross_entropy(logits, labels[start:start + 8])
        optimizer.zero_grad()
        loss.backward()
        if args.lr_schedule == "linear":
            linear_schedule.step()
        elif args.lr_schedule == "constant":
            optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
