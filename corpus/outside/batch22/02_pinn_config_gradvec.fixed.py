# Report: https://github.com/tum-pbs/ConFIG/issues/10
# Making the Burgers viscosity nu an nn.Parameter of the PINN for parameter identification makes
# the conflict-free update fail at torch.stack(grads) with "stack expects each tensor to be equal size".
"""Inverse Burgers problem: identify the viscosity with a PINN trained by a conflict-free
combination of the PDE-residual, initial/boundary and data gradients (ConFIG-style update)."""
import math
import time
from typing import List, Literal

import torch
import torch.nn as nn

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

NU_TRUE = 0.05
N_COLLOC, N_BC, N_DATA = 400, 120, 150
ITERATIONS = 200


class BurgersNet(nn.Module):
    def __init__(self, channel_basics=32, n_layers=3, nu_init=0.2):
        super().__init__()
        layers = [nn.Linear(2, channel_basics), nn.Tanh()]
        for _ in range(n_layers - 1):
            layers += [nn.Linear(channel_basics, channel_basics), nn.Tanh()]
        layers.append(nn.Linear(channel_basics, 1))
        self.layers = nn.Sequential(*layers)
        self.log_nu = nn.Parameter(torch.tensor([math.log(nu_init)]))

    @property
    def nu(self):
        return self.log_nu.exp()

    def forward(self, x, t):
        return self.layers(torch.cat([x, t], dim=1))


def get_gradient_vector(network: nn.Module, none_grad_mode: Literal["skip", "zero"] = "skip"):
    """Flatten the .grad of every parameter of the network into one vector."""
    with torch.no_grad():
        chunks = []
        for par in network.parameters():
            if par.grad is None:
                if none_grad_mode == "skip":
                    continue
                chunks.append(torch.zeros_like(par).view(-1))
            else:
                chunks.append(par.grad.view(-1))
        return torch.cat(chunks)


def apply_gradient_vector(network: nn.Module, grad_vec: torch.Tensor,
                          none_grad_mode: Literal["skip", "zero"] = "skip"):
    with torch.no_grad():
        start = 0
        for par in network.parameters():
            if par.grad is None and none_grad_mode == "skip":
                continue
            end = start + par.numel()
            par.grad = grad_vec[start:end].view_as(par).clone()
            start = end


def ConFIG_update(grads: List[torch.Tensor]) -> torch.Tensor:
    """Conflict-free direction: equal positive projection on every loss gradient."""
    grads = torch.stack(grads)
    units = grads / (grads.norm(dim=1, keepdim=True) + 1e-12)
    direction = torch.linalg.pinv(units) @ torch.ones(units.shape[0], device=units.device)
    direction = direction / (direction.norm() + 1e-12)
    length = (grads @ direction).sum()
    return length * direction


def reference_solution(x, t, nu=NU_TRUE):
    # decaying travelling sine, an approximate solution good enough for synthetic observations
    return -torch.sin(math.pi * (x - 0.2 * t)) * torch.exp(-nu * math.pi ** 2 * t)


def sample_points():
    x_f = torch.rand(N_COLLOC, 1) * 2 - 1
    t_f = torch.rand(N_COLLOC, 1)
    x_ic = torch.rand(N_BC // 2, 1) * 2 - 1
    t_ic = torch.zeros_like(x_ic)
    t_bc = torch.rand(N_BC // 2, 1)
    x_bc = torch.where(torch.rand(N_BC // 2, 1) < 0.5, -1.0, 1.0)
    x_b, t_b = torch.cat([x_ic, x_bc]), torch.cat([t_ic, t_bc])
    x_d, t_d = torch.rand(N_DATA, 1) * 2 - 1, torch.rand(N_DATA, 1)
    u_d = reference_solution(x_d, t_d) + 0.01 * torch.randn(N_DATA, 1)
    return (x_f, t_f), (x_b, t_b, reference_solution(x_b, t_b)), (x_d, t_d, u_d)


class BurgersLoss:
    def pde_loss(self, network, x, t):
        x = x.clone().requires_grad_(True)
        t = t.clone().requires_grad_(True)
        u = network(x, t)
        ones = torch.ones_like(u)
        u_t = torch.autograd.grad(u, t, ones, create_graph=True)[0]
        u_x = torch.autograd.grad(u, x, ones, create_graph=True)[0]
        u_xx = torch.autograd.grad(u_x, x, torch.ones_like(u_x), create_graph=True)[0]
        return (u_t + u * u_x - network.nu * u_xx).pow(2).mean()

    def boundary_loss(self, network, x, t, u_ref):
        return (network(x, t) - u_ref).pow(2).mean()

    def data_loss(self, network, x, t, u_obs):
        return (network(x, t) - u_obs).pow(2).mean()


colloc, boundary, data = sample_points()
colloc = [v.to(device) for v in colloc]
boundary = [v.to(device) for v in boundary]
data = [v.to(device) for v in data]

net = BurgersNet().to(device)
loss_fn = BurgersLoss()
optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.7)

start = time.time()
for it in range(ITERATIONS):
    grads, losses = [], []
    loss_terms = [
        lambda: loss_fn.pde_loss(net, *colloc),
        lambda: loss_fn.boundary_loss(net, *boundary),
        lambda: loss_fn.data_loss(net, *data),
    ]
    for term in loss_terms:
        optimizer.zero_grad()
        loss_i = term()
        loss_i.backward()
        grads.append(get_gradient_vector(net, none_grad_mode="zero"))
        losses.append(loss_i.item())
    apply_gradient_vector(net, ConFIG_update(grads), none_grad_mode="zero")
    optimizer.step()
    scheduler.step()
    if it % 50 == 0 or it == ITERATIONS - 1:
        print(f"it {it:4d} pde {losses[0]:.3e} bc {losses[1]:.3e} data {losses[2]:.3e} "
              f"nu {net.nu.item():.4f} ({time.time() - start:.1f}s)")

with torch.no_grad():
    x_t, t_t = torch.rand(500, 1, device=device) * 2 - 1, torch.rand(500, 1, device=device)
    err = (net(x_t, t_t) - reference_solution(x_t, t_t)).pow(2).mean().sqrt()
print(f"identified nu = {net.nu.item():.4f} (true {NU_TRUE}), test rmse {err.item():.4f}")
