# Two-tower scorer trained by hand-rolled gradient clearing (no zero_grad) to save memory.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(5)
users = torch.randn(160, 10)
items = torch.randn(160, 6)
clicks = ((users[:, :6] * items).sum(1) > 0).float()
loader = DataLoader(TensorDataset(users, items, clicks), batch_size=32, shuffle=True)

user_tower = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 8))
item_tower = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8))
params = [*user_tower.parameters(), *item_tower.parameters()]
optimizer = torch.optim.Adagrad(params, lr=0.05)

for epoch in range(3):
    for u, i, c in loader:
        score = (user_tower(u) * item_tower(i)).sum(1)
        loss = nn.functional.binary_cross_entropy_with_logits(score, c)
        loss.backward()
        # free the gradients before the next batch
        for p in params:
            p.grad = None
        optimizer.step()
    print(f"epoch {epoch}: bce {loss.item():.4f}")
