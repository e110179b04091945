"""Two-tower retrieval model on synthetic clicks. The embedding tables are sparse and stepped by
SparseAdam every batch; the dense towers may accumulate gradients over several batches."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--users", type=int, default=200)
parser.add_argument("--items", type=int, default=300)
parser.add_argument("--dim", type=int, default=16)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--accum-steps", type=int, default=1)
args = parser.parse_args()


class TwoTower(nn.Module):
    def __init__(self, users, items, dim):
        super().__init__()
        self.user_emb = nn.Embedding(users, dim, sparse=True)
        self.item_emb = nn.Embedding(items, dim, sparse=True)
        self.user_tower = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, dim))
        self.item_tower = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, dim))

    def forward(self, users, items):
        u = F.normalize(self.user_tower(self.user_emb(users)), dim=-1)
        v = F.normalize(self.item_tower(self.item_emb(items)), dim=-1)
        return u @ v.T / 0.1  # in-batch negatives


torch.manual_seed(0)
model = TwoTower(args.users, args.items, args.dim)
sparse_opt = torch.optim.SparseAdam(list(model.user_emb.parameters()) + list(model.item_emb.parameters()), lr=1e-2)
dense_opt = torch.optim.AdamW(list(model.user_tower.parameters()) + list(model.item_tower.parameters()), lr=1e-3)

users = torch.randint(0, args.users, (2048,))
items = (users * 7 + torch.randint(0, 3, (2048,))) % args.items

for epoch in range(args.epochs):
    for step, start in enumerate(range(0, 2048, 128)):
        logits = model(users[start:start + 128], items[start:start + 128])
        loss = F.cross_entropy(logits, torch.arange(len(logits))) / args.accum_steps
        loss.backward()
        sparse_opt.step()
        sparse_opt.zero_grad()
        if (step + 1) % args.accum_steps == 0:
            dense_opt.step()
            dense_opt.zero_grad()
    print(f"epoch {epoch}: loss {loss.item() * args.accum_steps:.3f}")
