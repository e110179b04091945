# Matrix-factorisation recommender: the item vectors are looked up once for the whole catalogue,
# then every batch of (user, item) pairs scores against them.
import torch
from torch import nn


class MF(nn.Module):
    def __init__(self, n_users, n_items, dim=16):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)

    def score(self, users, item_vecs, items):
        return (self.user_emb(users) * item_vecs[items]).sum(-1)


torch.manual_seed(0)
model = MF(n_users=50, n_items=80)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.BCEWithLogitsLoss()

all_items = torch.arange(80)
for it in range(12):
    users = torch.randint(0, 50, (64,))
    items = torch.randint(0, 80, (64,))
    clicked = torch.randint(0, 2, (64,)).float()
    item_vecs = model.item_emb(all_items)
    logits = model.score(users, item_vecs, items)
    loss = loss_fn(logits, clicked)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 4 == 0:
        print(f"iter {it} loss {loss.item():.4f}")
