"""Two-tower retrieval for a small catalogue: user tower over watch-history bags, item tower over
item ids and genres, in-batch softmax with a temperature. Recall@10 on held-out interactions."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

from fused_ops import l2_normalize_, scale_

SEED = 5
N_USERS, N_ITEMS, N_GENRES = 400, 300, 12
HISTORY = 8
DIM = 32
TEMPERATURE = 0.1
BATCH = 128
STEPS = 60

random.seed(SEED)
torch.manual_seed(SEED)


class Tower(nn.Module):
    def __init__(self, in_dim, dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.register_buffer("norm_ema", torch.ones(1))

    def forward(self, feats):
        return l2_normalize_(self.mlp(feats), self.norm_ema)


class TwoTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.item_emb = nn.Embedding(N_ITEMS, DIM)
        self.genre_emb = nn.Embedding(N_GENRES, DIM)
        self.user_tower = Tower(DIM, DIM)
        self.item_tower = Tower(2 * DIM, DIM)

    def users(self, histories):
        return self.user_tower(self.item_emb(histories).mean(dim=1))

    def items(self, item_ids, genres):
        return self.item_tower(torch.cat([self.item_emb(item_ids), self.genre_emb(genres)], dim=-1))


def synthesize():
    item_genre = torch.randint(0, N_GENRES, (N_ITEMS,))
    taste = [random.sample(range(N_GENRES), 2) for _ in range(N_USERS)]
    by_genre = {g: (item_genre == g).nonzero().flatten().tolist() for g in range(N_GENRES)}
    histories, targets = [], []
    for u in range(N_USERS):
        pool = by_genre[taste[u][0]] + by_genre[taste[u][1]]
        picks = random.choices(pool, k=HISTORY + 1)
        histories.append(picks[:HISTORY])
        targets.append(picks[HISTORY])
    return item_genre, torch.tensor(histories), torch.tensor(targets)


@torch.no_grad()
def recall_at_10(model, item_genre, histories, targets):
    model.eval()
    all_items = model.items(torch.arange(N_ITEMS), item_genre)
    scores = model.users(histories) @ all_items.T
    top = scores.topk(10, dim=-1).indices
    model.train()
    return (top == targets[:, None]).any(dim=-1).float().mean().item()


item_genre, histories, targets = synthesize()
train_users = torch.arange(0, 320)
test_users = torch.arange(320, N_USERS)

model = TwoTower()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
print("recall@10 before:", round(recall_at_10(model, item_genre, histories[test_users], targets[test_users]), 3))

for step in range(STEPS):
    batch = train_users[torch.randint(0, len(train_users), (BATCH,))]
    pos = targets[batch]
    u = model.users(histories[batch])
    v = model.items(pos, item_genre[pos])
    logits = scale_(u @ v.T, 1.0 / TEMPERATURE)
    same = pos[:, None] == pos[None, :]
    logits = logits.masked_fill(same & ~torch.eye(BATCH, dtype=torch.bool), float("-inf"))
    loss = F.cross_entropy(logits, torch.arange(BATCH))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 19:
        r = recall_at_10(model, item_genre, histories[test_users], targets[test_users])
        print(f"step {step + 1}: loss {loss.item():.3f}  recall@10 {r:.3f}  user norm ema {model.user_tower.norm_ema.item():.2f}")
