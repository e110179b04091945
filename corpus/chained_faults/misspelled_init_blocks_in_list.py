# Tabular regression with pre-norm residual blocks (energy use of buildings from 10 sensor readings).
import torch
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return x + self.fc(torch.relu(self.norm(x)))


class ResidualRegressor(nn.Module):
    def _init_(self, n_in=10, width=32, depth=3):
        super().__init__()
        self.inp = nn.Linear(n_in, width)
        self.blocks = [ResidualBlock(width) for _ in range(depth)]
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = block(h)
        return self.out(h)


def fit(model, x, y, epochs=40, lr=1e-2):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        opt.zero_grad()
        loss = nn.functional.smooth_l1_loss(model(x), y)
        loss.backward()
        opt.step()
    return loss.item()


torch.manual_seed(0)
readings = torch.randn(300, 10)
energy = (readings[:, :3].sum(dim=1, keepdim=True) ** 2) / 3
print("final loss", fit(ResidualRegressor(), readings, energy))
