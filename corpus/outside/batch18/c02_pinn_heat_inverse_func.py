# Physics-informed network for the 1-D heat equation u_t = nu * u_xx, inverse
# problem: the diffusivity nu is unknown and learned together with u(t, x) from a
# few noisy sensor readings.  Derivatives are taken with torch.func
# (vmap over jacrev / hessian of a functional_call).
#
# Look-alike, based on https://github.com/pytorch/pytorch/pull/88851
#   (the functorch examples pass *detached* copies of the weights to
#   functional_call, which is right for per-sample gradients and wrong for
#   training).  Here the parameter dict is built once, before the loop, and the
#   collocation points are detached / do not require grad -- both look like they
#   would cut the graph or go stale.  They do not: the dict holds the module's own
#   nn.Parameter objects (the optimizer updates them in place), torch.func
#   differentiates w.r.t. its explicit input without requires_grad, and the outer
#   autograd graph still reaches every parameter, nu included.
import argparse
import math

import torch
import torch.nn as nn
from torch.func import functional_call, hessian, jacrev, vmap
from torch.utils.data import DataLoader, TensorDataset

CFG = {"nu_true": 0.1, "n_colloc": 1024, "n_obs": 64, "obs_noise": 0.01, "hidden": 32, "seed": 0}


def exact(t, x, nu):
    return torch.exp(-nu * math.pi ** 2 * t) * torch.sin(math.pi * x)


class HeatPINN(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))
        self.log_nu = nn.Parameter(torch.tensor(math.log(0.5)))

    def forward(self, tx):
        return self.net(tx).squeeze(-1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch_size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-2)
    args = ap.parse_args()
    torch.manual_seed(CFG["seed"])
    g = torch.Generator().manual_seed(CFG["seed"])

    colloc = torch.rand(CFG["n_colloc"], 2, generator=g).detach().requires_grad_(False)
    obs_tx = torch.rand(CFG["n_obs"], 2, generator=g)
    obs_u = exact(obs_tx[:, 0], obs_tx[:, 1], CFG["nu_true"]) + CFG["obs_noise"] * torch.randn(CFG["n_obs"], generator=g)
    bc_t = torch.rand(64, generator=g)
    bc_tx = torch.cat([torch.stack([bc_t, torch.zeros(64)], 1), torch.stack([bc_t, torch.ones(64)], 1)])
    ic_x = torch.rand(64, generator=g)
    ic_tx, ic_u = torch.stack([torch.zeros(64), ic_x], 1), torch.sin(math.pi * ic_x)
    loader = DataLoader(TensorDataset(colloc), batch_size=args.batch_size, shuffle=True)

    model = HeatPINN(CFG["hidden"])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    params = dict(model.named_parameters())  # built once; these are the live nn.Parameters

    def u_point(p, tx):
        return functional_call(model, p, (tx[None],)).squeeze(0)

    du = vmap(jacrev(u_point, argnums=1), in_dims=(None, 0))       # [N, 2]  (u_t, u_x)
    d2u = vmap(hessian(u_point, argnums=1), in_dims=(None, 0))     # [N, 2, 2]

    for epoch in range(args.epochs):
        tot = 0.0
        for (tx,) in loader:
            tx = tx.detach()
            grad_u, hess_u = du(params, tx), d2u(params, tx)
            nu = model.log_nu.exp()
            residual = grad_u[:, 0] - nu * hess_u[:, 1, 1]
            loss_pde = residual.pow(2).mean()
            loss_data = (model(obs_tx) - obs_u).pow(2).mean()
            loss_bc = model(bc_tx).pow(2).mean() + (model(ic_tx) - ic_u).pow(2).mean()
            loss = loss_pde + 10.0 * loss_data + loss_bc
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            tot += loss.item()
        with torch.no_grad():
            grid = torch.rand(512, 2, generator=g)
            err = (model(grid) - exact(grid[:, 0], grid[:, 1], CFG["nu_true"])).abs().mean().item()
        print(f"epoch {epoch}: loss {tot / len(loader):.5f}  nu {model.log_nu.exp().item():.4f} "
              f"(true {CFG['nu_true']})  mean |u - u*| {err:.4f}")
