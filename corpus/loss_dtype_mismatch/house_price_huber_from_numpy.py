# Predicts house sale prices from a small table of listing features. The table is built with
# NumPy (area, rooms, age, distance to the centre), standardised, and the log price is the
# regression target. A two-layer MLP is trained with a Huber loss so a few outlier sales do not
# dominate; the loss is computed in a helper shared by training and evaluation.
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(7)
n = 600
area = rng.uniform(40, 220, n)
rooms = rng.integers(1, 7, n).astype(np.float64)
age = rng.uniform(0, 80, n)
distance = rng.uniform(0.5, 25, n)
log_price = 11.0 + 0.006 * area + 0.05 * rooms - 0.004 * age - 0.02 * distance
log_price += rng.normal(0, 0.08, n)
log_price[rng.choice(n, 12, replace=False)] += 1.5  # a few mislabelled sales

table = np.stack([area, rooms, age, distance], axis=1)
table = (table - table.mean(0)) / table.std(0)
features = torch.from_numpy(table).float()
targets = torch.from_numpy(log_price - log_price.mean())

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.HuberLoss(delta=0.3)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)


def batch_loss(model, x, y):
    pred = model(x).squeeze(-1)
    return criterion(pred, y)


train_idx = torch.arange(0, 500)
valid_idx = torch.arange(500, n)
for epoch in range(30):
    perm = train_idx[torch.randperm(len(train_idx))]
    for start in range(0, len(perm), 50):
        idx = perm[start:start + 50]
        loss = batch_loss(model, features[idx], targets[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 10 == 9:
        with torch.no_grad():
            valid = batch_loss(model, features[valid_idx], targets[valid_idx])
        print(f"epoch {epoch + 1}: train {loss.item():.4f} valid {valid.item():.4f}")
