# Source: https://github.com/lululxvi/deepxde/issues/1587
# Correct look-alike. A PINN for the 1-D Poisson problem -u'' = f on [0, 1] with u(0) = u(1) = 0,
# whose boundary-loss weight is set by learning-rate annealing (LRA, Wang, Teng & Perdikaris):
# every few steps lambda_hat = max|grad L_r| / mean|grad L_b| and lambda is a moving average of
# it. Things that look wrong but are right:
#   * the per-term gradients are taken with torch.autograd.grad(..., retain_graph=True) on the
#     same graph that loss.backward() uses right after (deliberate retain_graph);
#   * lambda is a plain tensor updated under torch.no_grad() from detached gradient statistics:
#     it is a weight chosen by a rule, not a parameter, and must not be trained;
#   * the collocation points get requires_grad_(True) and u'' comes from two autograd.grad calls
#     with create_graph=True; the evaluation grid runs under no_grad.
import math

import torch
import torch.nn as nn

torch.manual_seed(2)

K = 4.0                      # solution u = sin(K * pi * x)
N_COLLOC = 200
STEPS = 1200
LR = 1e-3
LRA_EVERY = 10
LRA_ALPHA = 0.1


def forcing(x):
    return (K * math.pi) ** 2 * torch.sin(K * math.pi * x)


def exact(x):
    return torch.sin(K * math.pi * x)


class FourierMLP(nn.Module):
    def __init__(self, n_freq=8, hidden=48):
        super().__init__()
        self.register_buffer("freqs", torch.arange(1, n_freq + 1).float() * math.pi)
        self.net = nn.Sequential(
            nn.Linear(2 * n_freq, hidden), nn.Tanh(),
            nn.Linear(hidden, hidden), nn.Tanh(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        z = x * self.freqs
        return self.net(torch.cat([torch.sin(z), torch.cos(z)], dim=-1))


def residual_loss(model, x):
    x = x.clone().requires_grad_(True)
    u = model(x)
    du = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)[0]
    return ((-d2u - forcing(x)) ** 2).mean()


def boundary_loss(model):
    xb = torch.tensor([[0.0], [1.0]])
    return (model(xb) ** 2).mean()


net = FourierMLP()
params = [p for p in net.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=LR)
lam_b = torch.tensor(1.0)
grid = torch.linspace(0, 1, 201).unsqueeze(1)

for step in range(1, STEPS + 1):
    x = torch.rand(N_COLLOC, 1)
    loss_r = residual_loss(net, x)
    loss_b = boundary_loss(net)

    if step % LRA_EVERY == 0:
        g_r = torch.autograd.grad(loss_r, params, retain_graph=True, allow_unused=True)
        g_b = torch.autograd.grad(loss_b, params, retain_graph=True, allow_unused=True)
        with torch.no_grad():
            max_r = max(g.abs().max() for g in g_r if g is not None)
            mean_b = torch.cat([g.abs().flatten() for g in g_b if g is not None]).mean()
            lam_hat = max_r / (mean_b + 1e-8)
            lam_b = (1 - LRA_ALPHA) * lam_b + LRA_ALPHA * lam_hat

    loss = loss_r + lam_b * loss_b
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    if step % 250 == 0 or step == 1:
        with torch.no_grad():
            err = (net(grid) - exact(grid)).norm() / exact(grid).norm()
        print(f"step {step:5d} L_r {loss_r.item():.3e} L_b {loss_b.item():.3e} "
              f"lambda_b {lam_b.item():8.2f} rel L2 {err.item():.3e}")
