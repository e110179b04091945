# Physics-informed network for the 1-D heat equation u_t = alpha * u_xx with an unknown
# diffusivity alpha, identified from a few noisy sensor readings (inverse problem).
#
# Reproduces: https://github.com/pytorch/pytorch/issues/31984
# (derivative loss built from grad(output.sum(), x, retain_graph=True): "loss_z.grad_fn = None")
#
# Fault (in my words): the small `gradients()` helper calls torch.autograd.grad with
# retain_graph=True but without create_graph=True. The derivative it returns is therefore a
# plain tensor with no history: it does not depend on the network weights any more, and it
# cannot be differentiated again. The PDE residual needs u_xx = d(u_x)/dx, so the second call
# of the helper fails on the first batch with "RuntimeError: element 0 of tensors does not
# require grad and does not have a grad_fn".
import argparse
import math
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "true_alpha": 0.1,
    "alpha_init": 0.5,
    "t_max": 0.5,
    "n_collocation": 1024,
    "n_boundary": 256,
    "n_sensors": 128,
    "hidden": 32,
    "depth": 3,
    "batch_size": 256,
    "lr": 5e-3,
    "epochs": 10,
    "w_pde": 1.0,
    "w_bc": 10.0,
    "w_data": 10.0,
}


def gradients(outputs, inputs):
    """d(outputs)/d(inputs) for point-wise outputs (sum trick)."""
    return torch.autograd.grad(outputs.sum(), inputs, retain_graph=True)[0]


def exact(x, t, alpha):
    return torch.sin(math.pi * x) * torch.exp(-alpha * math.pi ** 2 * t)


class HeatPINN(nn.Module):
    def __init__(self, hidden, depth, alpha_init):
        super().__init__()
        layers, d_in = [], 2
        for _ in range(depth):
            layers += [nn.Linear(d_in, hidden), nn.Tanh()]
            d_in = hidden
        layers.append(nn.Linear(hidden, 1))
        self.net = nn.Sequential(*layers)
        self.log_alpha = nn.Parameter(torch.tensor(math.log(alpha_init)))

    @property
    def alpha(self):
        return self.log_alpha.exp()

    def forward(self, x, t):
        return self.net(torch.cat([x, t], dim=-1))

    def residual(self, x, t):
        u = self(x, t)
        u_t = gradients(u, t)
        u_x = gradients(u, x)
        u_xx = gradients(u_x, x)
        return u_t - self.alpha * u_xx


def sample_problem(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    xc = torch.rand(cfg["n_collocation"], 1, generator=g)
    tc = cfg["t_max"] * torch.rand(cfg["n_collocation"], 1, generator=g)
    # initial condition u(x, 0) = sin(pi x) and boundaries u(0, t) = u(1, t) = 0
    xb = torch.cat([torch.rand(cfg["n_boundary"], 1, generator=g),
                    torch.randint(0, 2, (cfg["n_boundary"], 1), generator=g).float()])
    tb = torch.cat([torch.zeros(cfg["n_boundary"], 1),
                    cfg["t_max"] * torch.rand(cfg["n_boundary"], 1, generator=g)])
    ub = torch.sin(math.pi * xb) * (tb == 0).float()
    xs = torch.rand(cfg["n_sensors"], 1, generator=g)
    ts = cfg["t_max"] * torch.rand(cfg["n_sensors"], 1, generator=g)
    us = exact(xs, ts, cfg["true_alpha"]) + 0.01 * torch.randn(cfg["n_sensors"], 1, generator=g)
    return (xc, tc), (xb, tb, ub), (xs, ts, us)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

(xc, tc), (xb, tb, ub), (xs, ts, us) = sample_problem(CONFIG, seed=args.seed)
colloc_loader = DataLoader(TensorDataset(xc, tc), batch_size=CONFIG["batch_size"], shuffle=True)
xb, tb, ub, xs, ts, us = (v.to(device) for v in (xb, tb, ub, xs, ts, us))

model = HeatPINN(CONFIG["hidden"], CONFIG["depth"], CONFIG["alpha_init"]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
mse = nn.MSELoss()

for epoch in range(args.epochs):
    model.train()
    t0, log = time.time(), {"pde": 0.0, "bc": 0.0, "data": 0.0}
    for x, t in colloc_loader:
        x = x.to(device).requires_grad_(True)
        t = t.to(device).requires_grad_(True)
        loss_pde = model.residual(x, t).pow(2).mean()
        loss_bc = mse(model(xb, tb), ub)
        loss_data = mse(model(xs, ts), us)
        loss = CONFIG["w_pde"] * loss_pde + CONFIG["w_bc"] * loss_bc + CONFIG["w_data"] * loss_data
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        log["pde"] += loss_pde.item()
        log["bc"] += loss_bc.item()
        log["data"] += loss_data.item()
    with torch.no_grad():
        xg = torch.linspace(0, 1, 50, device=device)[:, None]
        err = (model(xg, torch.full_like(xg, 0.25)) - exact(xg, torch.full_like(xg, 0.25), CONFIG["true_alpha"])).abs().max()
    n = len(colloc_loader)
    print(f"epoch {epoch}: pde {log['pde'] / n:.4f} bc {log['bc'] / n:.4f} data {log['data'] / n:.4f} "
          f"alpha {model.alpha.item():.4f} max err(t=0.25) {err.item():.3f} ({time.time() - t0:.1f}s)")
