# Report: https://github.com/pytorch/pytorch/issues/83510
# torch.cdist with its exact (non-matmul) distance kernel has no double backward: a loss built
# from a gradient taken with create_graph=True fails with
# "the derivative for '_cdist_backward' is not implemented".
"""Physics-informed RBF network for the 2-D Poisson equation.

    -(u_xx + u_yy) = f   on (0, 1)^2,   u = 0 on the boundary,
    f = 2 pi^2 sin(pi x) sin(pi y)      (exact solution u = sin(pi x) sin(pi y)).

The solution is a sum of Gaussian radial basis functions with learnable centres and widths.
The loss is the PDE residual at random interior points plus the boundary condition.
"""
import math
import time

import torch
import torch.nn as nn

torch.manual_seed(0)


class GaussianRBF(nn.Module):
    def __init__(self, n_centers=36, in_dim=2):
        super().__init__()
        g = int(math.sqrt(n_centers))
        xs = torch.linspace(0.05, 0.95, g)
        grid = torch.stack(torch.meshgrid(xs, xs, indexing="ij"), -1).reshape(-1, in_dim)
        self.centers = nn.Parameter(grid + 0.01 * torch.randn_like(grid))
        self.log_gamma = nn.Parameter(torch.full((n_centers,), math.log(20.0)))

    def forward(self, x):
        # the matmul form of cdist is differentiable twice (the PDE loss needs u_xx)
        d = torch.cdist(x, self.centers, compute_mode="use_mm_for_euclid_dist")
        return torch.exp(-self.log_gamma.exp() * d.pow(2))


class RBFNet(nn.Module):
    def __init__(self, n_centers=36):
        super().__init__()
        self.rbf = GaussianRBF(n_centers)
        self.out = nn.Linear(n_centers, 1)

    def forward(self, x):
        return self.out(self.rbf(x))


def source(x):
    return 2 * math.pi ** 2 * torch.sin(math.pi * x[:, :1]) * torch.sin(math.pi * x[:, 1:])


def exact(x):
    return torch.sin(math.pi * x[:, :1]) * torch.sin(math.pi * x[:, 1:])


def laplacian(u, x):
    grad_u = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    lap = 0.0
    for i in range(x.shape[1]):
        lap = lap + torch.autograd.grad(grad_u[:, i].sum(), x, create_graph=True)[0][:, i:i + 1]
    return lap


def sample_interior(n):
    return torch.rand(n, 2)


def sample_boundary(n):
    t = torch.rand(n, 1)
    side = torch.randint(0, 4, (n, 1))
    zeros, ones = torch.zeros_like(t), torch.ones_like(t)
    x = torch.where(side == 0, zeros, torch.where(side == 1, ones, t))
    y = torch.where(side == 2, zeros, torch.where(side == 3, ones, t))
    return torch.cat([x, torch.where(side < 2, t, y)], 1)


def relative_l2(model, n=2000):
    x = torch.rand(n, 2)
    with torch.no_grad():
        return ((model(x) - exact(x)).norm() / exact(x).norm()).item()


def train(steps=400, n_int=128, n_bnd=64, w_bnd=50.0):
    model = RBFNet()
    optimizer = torch.optim.Adam([
        {"params": model.out.parameters(), "lr": 1e-2},
        {"params": model.rbf.parameters(), "lr": 3e-3},
    ])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=150, gamma=0.5)
    t0 = time.time()
    for step in range(1, steps + 1):
        xi = sample_interior(n_int).requires_grad_(True)
        xb = sample_boundary(n_bnd)
        u = model(xi)
        residual = -laplacian(u, xi) - source(xi)
        loss_pde = residual.pow(2).mean()
        loss_bnd = model(xb).pow(2).mean()
        loss = loss_pde + w_bnd * loss_bnd

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 50 == 0:
            print(f"step {step:4d}  pde {loss_pde.item():.3e}  bc {loss_bnd.item():.3e}  "
                  f"rel L2 {relative_l2(model):.3e}  ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = train()
    print("final relative L2 error:", relative_l2(model))
