"""Random Fourier features: a fixed random projection `B` (a plain tensor, by design never trained)
and a learned nn.Linear on the cos/sin features. Only the linear layer should train."""
import math

import torch
import torch.nn as nn


class RandomFeatureRegressor(nn.Module):
    def __init__(self, n_in, n_features, scale=2.0):
        super().__init__()
        self.B = torch.randn(n_in, n_features) * scale
        self.readout = nn.Linear(2 * n_features, 1)

    def forward(self, x):
        projected = 2 * math.pi * x @ self.B
        return self.readout(torch.cat([torch.cos(projected), torch.sin(projected)], dim=-1))


torch.manual_seed(0)
x = torch.rand(512, 2)
y = torch.sin(6 * x[:, :1]) * torch.cos(4 * x[:, 1:])
model = RandomFeatureRegressor(2, 64)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(100):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("mse", loss.item())
