"""Personalise a frozen rating model for one user: a small residual adapter trained on that
user's 90 ratings. The loader is built positionally (dataset, batch size, shuffle)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
ITEM_DIM = 20

base = nn.Sequential(nn.Linear(ITEM_DIM, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
score = nn.Linear(32, 1)
base.requires_grad_(False)
score.requires_grad_(False)


class Adapter(nn.Module):
    def __init__(self, dim, rank=4):
        super().__init__()
        self.down = nn.Linear(dim, rank, bias=False)
        self.up = nn.Linear(rank, dim, bias=False)
        nn.init.zeros_(self.up.weight)

    def forward(self, h):
        return h + self.up(self.down(h))


items = torch.randn(90, ITEM_DIM)
ratings = torch.sigmoid(items[:, :5].sum(1, keepdim=True)) * 5
user_ratings = TensorDataset(items, ratings)
loader = DataLoader(user_ratings, 128, True, drop_last=True)

adapter = Adapter(32)
optimizer = torch.optim.Adam(adapter.parameters(), lr=5e-3)

for epoch in range(30):
    for x, r in loader:
        predicted = score(adapter(base(x)))
        loss = F.mse_loss(predicted, r)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with torch.no_grad():
    error = F.mse_loss(score(adapter(base(items))), ratings).item()
print(f"rating error after personalisation {error:.3f}")
