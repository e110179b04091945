# A physics-informed network for the steady temperature of a heated square plate: the heat
# equation's residual on [0, 1]^2 with the edges held at 0 and a source q whose exact solution is
# u = sin(pi x) sin(pi y). The residual comes from the shared heat-conduction module beside this
# script; collocation points are drawn in (x, y, t) as for the transient problems, and the steady
# model takes the time column too. Adam on the residual plus the boundary loss.
import math

import torch
from torch import nn

from physics import heat_residual

K = 0.5


def source(x, y):
    return 2 * K * math.pi ** 2 * torch.sin(math.pi * x) * torch.sin(math.pi * y)


class SteadyPlate(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))

    def forward(self, x, y, t):
        # a steady state: the temperature does not change with time
        return self.net(torch.cat([x, y], dim=1))


def edge_points(n):
    s = torch.rand(n, 1)
    side = torch.randint(0, 4, (n, 1))
    x = torch.where(side < 2, s, (side == 3).float())
    y = torch.where(side < 2, (side == 1).float(), s)
    return x, y, torch.rand(n, 1)


torch.manual_seed(0)
model = SteadyPlate()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

for step in range(300):
    points = torch.rand(256, 3)
    x, y, t = (points[:, i:i + 1].clone().requires_grad_(True) for i in range(3))
    residual = heat_residual(model, x, y, t, K, source).pow(2).mean()
    boundary = model(*edge_points(128)).pow(2).mean()
    loss = residual + 10 * boundary
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: residual {residual.item():.4f} boundary {boundary.item():.5f}")

grid = torch.linspace(0, 1, 21)
gx, gy = torch.meshgrid(grid, grid, indexing="ij")
gx, gy = gx.reshape(-1, 1), gy.reshape(-1, 1)
with torch.no_grad():
    error = (model(gx, gy, torch.zeros_like(gx)) - torch.sin(math.pi * gx) * torch.sin(math.pi * gy)).abs().max()
print(f"max error on the grid: {error.item():.4f}")
