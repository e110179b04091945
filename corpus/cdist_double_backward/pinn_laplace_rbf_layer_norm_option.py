"""PINN for the 2-D Poisson equation -lap u = f on the unit square, u = 0 on the boundary, with
the manufactured solution u = sin(pi x) sin(pi y). The solution is an RBF layer, written as a
small reusable module whose distance norm is an option (the Euclidean one by default), followed
by a linear readout."""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)


class RBFLayer(nn.Module):
    def __init__(self, in_features, n_centres, norm_p=2.0, init_width=0.3):
        super().__init__()
        self.norm_p = norm_p
        self.centres = nn.Parameter(torch.rand(n_centres, in_features))
        self.log_gamma = nn.Parameter(torch.full((n_centres,), -2 * math.log(init_width)))

    def forward(self, x):
        r = torch.cdist(x, self.centres, p=self.norm_p)
        return torch.exp(-self.log_gamma.exp() * r ** 2)


class PoissonPINN(nn.Module):
    def __init__(self, n_centres=24):
        super().__init__()
        self.rbf = RBFLayer(2, n_centres)
        self.head = nn.Linear(n_centres, 1)

    def forward(self, xy):
        return self.head(self.rbf(xy)).squeeze(-1)


def forcing(xy):
    return 2 * math.pi ** 2 * torch.sin(math.pi * xy[:, 0]) * torch.sin(math.pi * xy[:, 1])


def laplacian(u, xy):
    (grad_u,) = torch.autograd.grad(u.sum(), xy, create_graph=True)
    lap = 0.0
    for i in range(xy.shape[1]):
        (g2,) = torch.autograd.grad(grad_u[:, i].sum(), xy, create_graph=True)
        lap = lap + g2[:, i]
    return lap


def boundary_points(n):
    t = torch.rand(n)
    side = torch.randint(0, 4, (n,))
    x = torch.where(side == 0, torch.zeros(n), torch.where(side == 1, torch.ones(n), t))
    y = torch.where(side == 2, torch.zeros(n), torch.where(side == 3, torch.ones(n), t))
    return torch.stack([x, y], 1)


model = PoissonPINN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for step in range(300):
    interior = torch.rand(25, 2, requires_grad=True)
    residual = -laplacian(model(interior), interior) - forcing(interior)
    wall = boundary_points(40)
    loss = residual.pow(2).mean() + 50.0 * model(wall).pow(2).mean()

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    if step % 100 == 0:
        with torch.no_grad():
            probe = torch.rand(500, 2)
            exact = torch.sin(math.pi * probe[:, 0]) * torch.sin(math.pi * probe[:, 1])
            err = (model(probe) - exact).abs().max().item()
        print(f"step {step:3d}  loss {loss.item():.4e}  max error {err:.3f}")
