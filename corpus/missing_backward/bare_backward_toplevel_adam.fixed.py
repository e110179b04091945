"""Regress house prices from a few tabular features."""
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
features = torch.randn(200, 6)
prices = features @ torch.randn(6, 1) + 0.1 * torch.randn(200, 1)

model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()

for epoch in range(50):
    optimizer.zero_grad()
    predictions = model(features)
    loss = loss_fn(predictions, prices)
    loss.backward()  # compute the gradients
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d}  mse {loss.item():.4f}")
