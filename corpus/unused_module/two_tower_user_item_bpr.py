"""Two-tower retrieval model trained with a BPR loss on synthetic user/item features."""
import torch
from torch import nn
import torch.nn.functional as F


class TwoTower(nn.Module):
    def __init__(self, user_dim, item_dim, hidden=32, out=16):
        super().__init__()
        self.user_embed = nn.Linear(user_dim, hidden)
        self.item_embed = nn.Linear(item_dim, hidden)
        self.user_tower = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))
        self.item_tower = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))

    def encode(self, users, items):
        u = self.user_tower(self.user_embed(users))
        i = self.user_tower(self.item_embed(items))
        return F.normalize(u, dim=-1), F.normalize(i, dim=-1)

    def forward(self, users, pos_items, neg_items):
        u, pos = self.encode(users, pos_items)
        _, neg = self.encode(users, neg_items)
        return (u * pos).sum(-1), (u * neg).sum(-1)


def bpr_loss(pos_scores, neg_scores):
    return -F.logsigmoid(pos_scores - neg_scores).mean()


torch.manual_seed(0)
user_feats = torch.randn(64, 10)
item_feats = torch.randn(64, 12)
model = TwoTower(user_dim=10, item_dim=12)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(30):
    idx = torch.randint(0, 64, (16,))
    neg = torch.randint(0, 64, (16,))
    pos_s, neg_s = model(user_feats[idx], item_feats[idx], item_feats[neg])
    loss = bpr_loss(pos_s, neg_s)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step}: bpr {loss.item():.4f}")
