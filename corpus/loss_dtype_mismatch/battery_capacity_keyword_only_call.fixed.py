# Predicts the remaining capacity of battery cells from cycling features (cycle count, mean
# temperature, depth of discharge, internal resistance). The feature table and capacities are
# NumPy float64 arrays; a small MLP is trained with a Huber loss called with keyword arguments.
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

rng = np.random.default_rng(3)
n = 800
cycles = rng.uniform(0, 1500, n)
temperature = rng.normal(30, 6, n)
depth = rng.uniform(0.3, 1.0, n)
resistance = 0.02 + 1e-5 * cycles + rng.normal(0, 0.002, n)
capacity = 1.0 - 2e-4 * cycles * depth - 0.003 * np.maximum(temperature - 25, 0) + rng.normal(0, 0.01, n)

table = np.stack([cycles / 1500, (temperature - 30) / 6, depth, resistance * 20], axis=1)
features = torch.from_numpy(table).float()
targets = torch.from_numpy(capacity)

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(20):
    order = torch.randperm(n)
    for i in range(0, n, 80):
        idx = order[i:i + 80]
        pred = model(features[idx]).squeeze(-1)
        loss = F.huber_loss(input=pred, target=targets[idx].float(), delta=0.05)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch + 1}: huber {loss.item():.6f}")
