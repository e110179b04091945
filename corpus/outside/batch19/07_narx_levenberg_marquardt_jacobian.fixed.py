# NARX-style one-step-ahead forecaster for an hourly load series, trained with
# Levenberg-Marquardt (a port of MATLAB's `trainlm` default) instead of a first-order optimizer.
#
# Reproduces: https://github.com/pytorch/pytorch/issues/49171
# ("It is not sufficient to do ... func = lambda *params: model(data);
#   jacs = F.jacobian(func, params) -- This returns jacobians that are full of zeros")
#
# Fault (in my words): the residual Jacobian is taken with torch.autograd.functional.jacobian
# over a closure that receives the parameter tensors as arguments but ignores them and calls
# the stateful model. jacobian() differentiates with respect to fresh copies of its inputs, which
# the closure never uses, so every Jacobian is exactly zero. The LM step
# (J^T J + mu I) delta = -J^T r is then delta = 0: the script runs, the damping factor mu
# keeps growing, the loss is logged every epoch, and no weight of the network ever changes.
import argparse
import math
import time

import torch
import torch.nn as nn
from torch.autograd.functional import jacobian
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "lags": 24,
    "hidden": 10,
    "series_len": 1200,
    "batch_size": 200,
    "epochs": 12,
    "mu_init": 1e-2,
    "mu_up": 10.0,
    "mu_down": 0.3,
    "mu_max": 1e8,
}


def make_series(n, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n, dtype=torch.float)
    daily = torch.sin(2 * math.pi * t / 24) + 0.4 * torch.sin(4 * math.pi * t / 24 + 1.0)
    weekly = 0.3 * torch.sin(2 * math.pi * t / 168)
    noise = 0.1 * torch.randn(n, generator=g)
    return daily + weekly + 0.001 * t + noise


def windows(series, lags):
    x = series.unfold(0, lags, 1)[:-1]
    y = series[lags:]
    return x, y.unsqueeze(-1)


class NARX(nn.Module):
    def __init__(self, lags, hidden):
        super().__init__()
        self.hidden = nn.Linear(lags, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def lm_step(model, x, y, mu):
    """One Levenberg-Marquardt step on a batch; writes -delta into .grad for an SGD(lr=1) step."""
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach() for p in model.parameters())

    def residuals(*p):
        return (torch.func.functional_call(model, dict(zip(names, p)), (x,)) - y).flatten()

    J = jacobian(residuals, params, vectorize=True)
    J = torch.cat([j.reshape(j.size(0), -1) for j in J], dim=1)     # (N, P)
    r = residuals(*params).detach()
    A = J.T @ J + mu * torch.eye(J.size(1))
    delta = torch.linalg.solve(A, -J.T @ r)
    offset = 0
    for p in model.parameters():
        n = p.numel()
        p.grad = -delta[offset:offset + n].view_as(p)
        offset += n
    return r.pow(2).mean().item()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)

series = make_series(CONFIG["series_len"], seed=args.seed)
mean, std = series[:1000].mean(), series[:1000].std()
series = (series - mean) / std
x, y = windows(series, CONFIG["lags"])
n_train = 960
train_loader = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=CONFIG["batch_size"], shuffle=True)
x_val, y_val = x[n_train:], y[n_train:]

model = NARX(CONFIG["lags"], CONFIG["hidden"])
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)  # applies the LM increment stored in .grad
mu = CONFIG["mu_init"]
print(f"NARX with {sum(p.numel() for p in model.parameters())} weights, {len(train_loader)} batches/epoch")

for epoch in range(args.epochs):
    t0, losses = time.time(), []
    for xb, yb in train_loader:
        before = lm_step(model, xb, yb, mu)
        backup = [p.detach().clone() for p in model.parameters()]
        optimizer.step()
        with torch.no_grad():
            after = (model(xb) - yb).pow(2).mean().item()
        if after < before:
            mu = max(mu * CONFIG["mu_down"], 1e-9)
        else:
            with torch.no_grad():  # reject the step, raise the damping
                for p, b in zip(model.parameters(), backup):
                    p.copy_(b)
            mu = min(mu * CONFIG["mu_up"], CONFIG["mu_max"])
        losses.append(min(before, after))
    with torch.no_grad():
        val = (model(x_val) - y_val).pow(2).mean().sqrt().item()
    print(f"epoch {epoch}: train mse {sum(losses) / len(losses):.4f}  val rmse {val:.4f}  mu {mu:.1e}  "
          f"({time.time() - t0:.2f}s)")
