"""Probabilistic wind-direction nowcasting at a coastal mast with a von Mises output layer.

From the last hour of readings (sin/cos of direction, speed, pressure tendency, temperature) an
MLP predicts the direction ten minutes ahead as a von Mises distribution: a mean direction and a
concentration kappa. The negative log-likelihood needs log I0(kappa); it is computed through the
exponentially scaled i0e, log I0(k) = log i0e(k) + k, which stays finite for a confident model.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def mast_readings(n_series, length=18, seed=0):
    g = torch.Generator().manual_seed(seed)
    direction = 2 * math.pi * torch.rand(n_series, 1, generator=g)
    veer = 0.05 * torch.randn(n_series, 1, generator=g)
    speed = 3.0 + 8.0 * torch.rand(n_series, 1, generator=g)
    steps = torch.arange(length + 1, dtype=torch.float)
    # turbulence makes weak winds wander more
    wander = torch.cumsum(torch.randn(n_series, length + 1, generator=g), dim=1) * (0.6 / speed)
    theta = direction + veer * steps + wander
    pressure = torch.randn(n_series, 1, generator=g) + 0.1 * steps
    temp = 12.0 + torch.randn(n_series, 1, generator=g) - 0.02 * steps
    history = torch.stack(
        [theta[:, :-1].sin(), theta[:, :-1].cos(), speed.expand(-1, length) / 10.0,
         (pressure - pressure[:, :1])[:, :-1] / 3.0, (temp - 12.0)[:, :-1]], dim=-1)
    return history.flatten(1), theta[:, -1]


class VonMisesHead(nn.Module):
    def __init__(self, n_inputs, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_inputs, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU())
        self.mean = nn.Linear(hidden, 2)
        self.concentration = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.body(x)
        xy = self.mean(h)
        mu = torch.atan2(xy[:, 0], xy[:, 1])
        kappa = F.softplus(self.concentration(h)).squeeze(1) + 1e-3
        return mu, kappa


def von_mises_nll(theta, mu, kappa):
    log_i0 = torch.log(torch.special.i0e(kappa)) + kappa
    return (-kappa * torch.cos(theta - mu) + math.log(2 * math.pi) + log_i0).mean()


def main():
    torch.manual_seed(0)
    x_train, y_train = mast_readings(2048, seed=1)
    x_val, y_val = mast_readings(512, seed=2)
    model = VonMisesHead(x_train.shape[1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)

    for epoch in range(6):
        perm = torch.randperm(len(x_train))
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            mu, kappa = model(x_train[idx])
            loss = von_mises_nll(y_train[idx], mu, kappa)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            mu, kappa = model(x_val)
            val_nll = von_mises_nll(y_val, mu, kappa)
            err = torch.atan2(torch.sin(y_val - mu), torch.cos(y_val - mu)).abs().mean()
        print(f"epoch {epoch}: val nll {val_nll.item():.3f}  mean abs error {math.degrees(err):.1f} deg  "
              f"median kappa {kappa.median().item():.1f}")


if __name__ == "__main__":
    main()
