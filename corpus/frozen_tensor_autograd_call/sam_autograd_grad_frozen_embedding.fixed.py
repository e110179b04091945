"""Sharpness-aware minimisation written by hand with torch.autograd.grad, for a recommender whose
item embeddings come from a pretrained model and are kept fixed."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
USERS, ITEMS, DIM = 40, 60, 16


class TwoTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(USERS, DIM)
        self.item = nn.Embedding(ITEMS, DIM)
        self.mlp = nn.Sequential(nn.Linear(2 * DIM, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, users, items):
        return self.mlp(torch.cat([self.user(users), self.item(items)], dim=-1)).squeeze(-1)


model = TwoTower()
model.item.weight.requires_grad_(False)  # pretrained item vectors
params = [p for p in model.parameters() if p.requires_grad]
base = torch.optim.Adam([p for p in params if p.requires_grad], lr=1e-2)
rho = 0.05

users = torch.randint(0, USERS, (256,))
items = torch.randint(0, ITEMS, (256,))
clicks = ((users + items) % 3 == 0).float()

for step in range(8):
    batch = slice((step % 4) * 64, (step % 4 + 1) * 64)
    loss = F.binary_cross_entropy_with_logits(model(users[batch], items[batch]), clicks[batch])
    grads = torch.autograd.grad(loss, params)
    scale = rho / (torch.stack([g.norm() for g in grads]).norm() + 1e-12)
    with torch.no_grad():
        eps = [g * scale for g in grads]
        for p, e in zip(params, eps):
            p.add_(e)
    sharp = F.binary_cross_entropy_with_logits(model(users[batch], items[batch]), clicks[batch])
    base.zero_grad()
    sharp.backward()
    with torch.no_grad():
        for p, e in zip(params, eps):
            p.sub_(e)
    base.step()
    print(f"step {step}: loss {loss.item():.4f} sharp {sharp.item():.4f}")
