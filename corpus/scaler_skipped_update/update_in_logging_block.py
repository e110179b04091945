# Bag-of-embeddings topic classifier trained with CPU mixed precision.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=40)
parser.add_argument("--log-every", type=int, default=5)
args = parser.parse_args()

torch.manual_seed(4)


class TopicClassifier(nn.Module):
    def __init__(self, vocab=500, dim=48, topics=4):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, topics))

    def forward(self, tokens, offsets):
        return self.mlp(self.bag(tokens, offsets))


def make_batch(size=24):
    lengths = torch.randint(5, 20, (size,))
    tokens = torch.randint(0, 500, (int(lengths.sum()),))
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    topics = tokens[offsets] % 4
    return tokens, offsets, topics


model = TopicClassifier()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 12)

for step in range(args.steps):
    tokens, offsets, topics = make_batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(tokens, offsets)
    loss = F.cross_entropy(logits.float(), topics)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    if step % args.log_every == 0:
        print(f"step {step}: loss {loss.item():.4f}, scale {scaler.get_scale():.0f}")
        scaler.update()
