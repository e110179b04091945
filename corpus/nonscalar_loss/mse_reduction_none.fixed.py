"""Fitting a noisy sine with an MLP. The criterion was switched to reduction="none" to look at
per-sample errors once, and never switched back."""
import math

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

x = torch.linspace(-math.pi, math.pi, 256).unsqueeze(1)
y = torch.sin(x) + 0.05 * torch.randn_like(x)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
criterion = nn.MSELoss(reduction="none")
optimizer = optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(300):
    perm = torch.randperm(256)
    for i in range(0, 256, 64):
        batch = perm[i : i + 64]
        optimizer.zero_grad()
        loss = criterion(model(x[batch]), y[batch])
        loss.mean().backward()
        optimizer.step()
    if epoch % 100 == 0:
        print(f"epoch {epoch}")

with torch.no_grad():
    print("worst sample error:", (model(x) - y).abs().max().item())
