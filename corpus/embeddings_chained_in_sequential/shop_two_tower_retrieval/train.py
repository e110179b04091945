# Two-tower retrieval for an online shop: synthetic purchase logs (each user prefers one
# category), an item tower over the item's attributes and a user tower over the user id from the
# helper module, trained with an in-batch sampled softmax; recall@10 is printed per epoch.
import torch
from torch.nn import functional as F

from towers import ItemTower, UserTower

N_USERS, N_ITEMS, N_BRANDS, N_CATEGORIES, N_PRICES, DIM = 300, 600, 40, 12, 8, 24
TEMPERATURE = 0.1

torch.manual_seed(0)
item_attributes = torch.stack([
    torch.arange(N_ITEMS),
    torch.randint(0, N_BRANDS, (N_ITEMS,)),
    torch.randint(0, N_CATEGORIES, (N_ITEMS,)),
    torch.randint(0, N_PRICES, (N_ITEMS,)),
], dim=1)
favourite = torch.randint(0, N_CATEGORIES, (N_USERS,))
buyers = torch.randint(0, N_USERS, (4000,))
items_in_favourite = [torch.nonzero(item_attributes[:, 2] == c).squeeze(1) for c in range(N_CATEGORIES)]
bought = torch.stack([items[torch.randint(0, len(items), ())] for items in (items_in_favourite[c] for c in favourite[buyers])])

item_tower = ItemTower(N_ITEMS, N_BRANDS, N_CATEGORIES, N_PRICES, DIM)
user_tower = UserTower(N_USERS, DIM)
optimizer = torch.optim.Adam([*item_tower.parameters(), *user_tower.parameters()], lr=5e-3)

for epoch in range(3):
    order = torch.randperm(len(buyers))
    for start in range(0, len(buyers), 200):
        batch = order[start:start + 200]
        users = user_tower(buyers[batch])
        items = item_tower(item_attributes[bought[batch]])
        logits = users @ items.T / TEMPERATURE
        loss = F.cross_entropy(logits, torch.arange(len(batch)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        scores = user_tower(buyers[:500]) @ item_tower(item_attributes).T
        top10 = scores.topk(10, dim=1).indices
        recall = (top10 == bought[:500, None]).any(dim=1).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.4f} recall@10 {recall:.3f}")
