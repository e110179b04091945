# Reproduces: https://github.com/pytorch/pytorch/pull/97015
# An inverse heat-equation PINN that learns the diffusivity alpha (as log_alpha) from
# sparse measurements. The derivative helper uses torch.autograd.grad(...,
# materialize_grads=True), the option added in this PR, which returns zeros instead of
# None (or an error) for inputs the output does not depend on. pde_residual makes x and t
# into requires-grad leaves but calls the network on the original concatenated batch xt,
# so u does not depend on them. Every derivative comes back as an exact zero, so the PDE
# residual and its loss never involve log_alpha. log_alpha gets a zero gradient and keeps
# its initial value, while the network fits the data and the initial and boundary
# conditions.
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

SETTINGS = {
    "alpha_true": 0.1,
    "alpha_init": 0.5,
    "n_obs": 256,
    "n_colloc": 1024,
    "n_bc": 128,
    "width": 32,
    "depth": 3,
    "epochs": 12,
    "batch": 256,
    "lr": 3e-3,
    "w_pde": 1.0,
    "seed": 4,
}
torch.manual_seed(SETTINGS["seed"])


def exact(x, t, alpha):
    return torch.sin(math.pi * x) * torch.exp(-alpha * math.pi ** 2 * t)


class HeatPINN(nn.Module):
    def __init__(self, width, depth, alpha_init):
        super().__init__()
        layers, d = [], 2
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.Tanh()]
            d = width
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)
        self.log_alpha = nn.Parameter(torch.tensor(math.log(alpha_init)))

    def forward(self, xt):
        return self.net(xt)

    @property
    def alpha(self):
        return self.log_alpha.exp()


def d(out, wrt):
    return torch.autograd.grad(out, wrt, grad_outputs=torch.ones_like(out),
                               create_graph=True, materialize_grads=True)[0]


def pde_residual(model, xt):
    x = xt[:, 0:1].clone().requires_grad_(True)
    t = xt[:, 1:2].clone().requires_grad_(True)
    u = model(torch.cat([x, t], dim=1))
    u_t = d(u, t)
    u_xx = d(d(u, x), x)
    return u_t - model.alpha * u_xx


def make_data(cfg):
    g = torch.Generator().manual_seed(cfg["seed"])
    obs_xt = torch.rand(cfg["n_obs"], 2, generator=g)
    obs_u = exact(obs_xt[:, :1], obs_xt[:, 1:], cfg["alpha_true"]) + 0.01 * torch.randn(cfg["n_obs"], 1, generator=g)
    colloc = torch.rand(cfg["n_colloc"], 2, generator=g)
    x0 = torch.rand(cfg["n_bc"], 1, generator=g)
    ic_xt = torch.cat([x0, torch.zeros_like(x0)], 1)
    tb = torch.rand(cfg["n_bc"], 1, generator=g)
    bc_xt = torch.cat([torch.cat([torch.zeros_like(tb), tb], 1), torch.cat([torch.ones_like(tb), tb], 1)])
    return obs_xt, obs_u, colloc, ic_xt, bc_xt


obs_xt, obs_u, colloc, ic_xt, bc_xt = make_data(SETTINGS)
colloc_loader = DataLoader(TensorDataset(colloc), batch_size=SETTINGS["batch"], shuffle=True)
model = HeatPINN(SETTINGS["width"], SETTINGS["depth"], SETTINGS["alpha_init"])
optimizer = torch.optim.Adam(model.parameters(), lr=SETTINGS["lr"])
mse = nn.MSELoss()

for epoch in range(1, SETTINGS["epochs"] + 1):
    for (xt,) in colloc_loader:
        loss_data = mse(model(obs_xt), obs_u)
        loss_ic = mse(model(ic_xt), torch.sin(math.pi * ic_xt[:, :1]))
        loss_bc = model(bc_xt).pow(2).mean()
        loss_pde = pde_residual(model, xt).pow(2).mean()
        loss = loss_data + loss_ic + loss_bc + SETTINGS["w_pde"] * loss_pde
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 3 == 0:
        with torch.no_grad():
            test = torch.rand(512, 2)
            err = (model(test) - exact(test[:, :1], test[:, 1:], SETTINGS["alpha_true"])).abs().mean()
        print(f"epoch {epoch:2d}: loss {loss.item():.5f} (pde {loss_pde.item():.2e})  "
              f"alpha {model.alpha.item():.4f}  |u - u*| {err:.4f}")
