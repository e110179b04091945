"""A physics-informed network for the 1-D advection equation u_t + c u_x = 0. Its activation
layer wraps a hand-written tanh kernel whose backward is @once_differentiable; the residual is
built from u_x and u_t taken with create_graph=True, and the loss differentiates them again."""
import torch
import torch.autograd as autograd
from torch import nn

torch.manual_seed(0)


class TanhKernel(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_y):
        (y,) = ctx.saved_tensors
        return grad_y * (1 - y * y)


class FastTanh(nn.Module):
    def forward(self, x):
        return TanhKernel.apply(x)


class AdvectionPINN(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), FastTanh(), nn.Linear(hidden, hidden), FastTanh(),
                                 nn.Linear(hidden, 1))

    def forward(self, x, t):
        return self.net(torch.cat([x, t], dim=1))


model = AdvectionPINN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
c = 0.5

for step in range(500):
    x = (torch.rand(128, 1) * 2 - 1).requires_grad_(True)
    t = torch.rand(128, 1).requires_grad_(True)
    u = model(x, t)
    u_x, u_t = autograd.grad(u.sum(), (x, t), create_graph=True)
    residual = ((u_t + c * u_x) ** 2).mean()
    x0 = torch.rand(64, 1) * 2 - 1
    initial = ((model(x0, torch.zeros_like(x0)) - torch.sin(torch.pi * x0)) ** 2).mean()
    loss = residual + initial
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
