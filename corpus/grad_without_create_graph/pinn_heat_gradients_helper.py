"""A physics-informed network for the 1-D heat equation u_t = k u_xx on [-1, 1] x [0, 1], with
u(x, 0) = sin(pi x) and u(+-1, t) = 0. A small gradients() helper takes every derivative: the
gradient of u at the collocation points (u_x, u_t), then u_xx from u_x."""
import math

import torch
from torch import nn

torch.manual_seed(0)
K = 0.1


def gradients(outputs, inputs):
    return torch.autograd.grad(outputs, inputs, grad_outputs=torch.ones_like(outputs))[0]


class HeatPINN(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))

    def forward(self, xt):
        return self.net(xt)


model = HeatPINN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for step in range(200):
    xt = torch.cat([torch.rand(256, 1) * 2 - 1, torch.rand(256, 1)], dim=1).requires_grad_(True)
    u = model(xt)
    du = gradients(u, xt)
    u_x, u_t = du[:, :1], du[:, 1:]
    u_xx = gradients(u_x, xt)[:, :1]
    residual = ((u_t - K * u_xx) ** 2).mean()

    x0 = torch.rand(64, 1) * 2 - 1
    initial = ((model(torch.cat([x0, torch.zeros_like(x0)], dim=1)) - torch.sin(math.pi * x0)) ** 2).mean()
    xb = torch.where(torch.rand(64, 1) < 0.5, -1.0, 1.0)
    boundary = (model(torch.cat([xb, torch.rand(64, 1)], dim=1)) ** 2).mean()

    loss = residual + initial + boundary
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: residual {residual.item():.4f} initial {initial.item():.4f}")
