"""Random-feature regression: a fixed random projection (Rahimi-Recht style) feeds a trained
linear read-out. The projection is frozen on purpose, and its comment says so; the optimizer is
simply given model.parameters()."""
import torch
import torch.nn as nn


class RandomFeatureRegressor(nn.Module):
    def __init__(self, in_dim: int, features: int):
        super().__init__()
        self.projection = nn.Linear(in_dim, features)
        # Fixed random features, by design: the projection is never trained,
        # only the read-out below is fitted.
        for p in self.projection.parameters():
            p.requires_grad = False
        self.readout = nn.Linear(features, 1)

    def forward(self, x):
        return self.readout(torch.cos(self.projection(x)))


torch.manual_seed(0)
model = RandomFeatureRegressor(8, 64)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(128, 8)
y = x.sum(dim=1, keepdim=True).sin()
for epoch in range(20):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
print(f"final mse {loss.item():.4f}")
