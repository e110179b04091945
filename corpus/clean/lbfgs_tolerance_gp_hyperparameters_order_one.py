"""Type-II maximum likelihood for the hyperparameters of an exact GP on standardised targets.

The targets are standardised before the fit and the negative log marginal likelihood is divided
by the number of points, so the objective is of order one and its gradients with respect to the
log-hyperparameters are too: the scipy-style tolerances below (1e-5 on the gradient, 1e-9 on the
change) are the right scale for it.
"""
import math

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)

LBFGS_KW = {"lr": 0.5, "max_iter": 50, "tolerance_grad": 1e-5, "tolerance_change": 1e-9,
            "history_size": 20, "line_search_fn": "strong_wolfe"}


class ExactGP(nn.Module):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y
        self.log_lengthscale = nn.Parameter(torch.tensor(0.0))
        self.log_signal = nn.Parameter(torch.tensor(0.0))
        self.log_noise = nn.Parameter(torch.tensor(-1.0))

    def kernel(self, a, b):
        d2 = (a[:, None] - b[None, :]).pow(2)
        return self.log_signal.exp() * torch.exp(-0.5 * d2 / self.log_lengthscale.exp().pow(2))

    def nll(self):
        n = self.x.shape[0]
        k = self.kernel(self.x, self.x) + (self.log_noise.exp() + 1e-6) * torch.eye(n)
        chol = torch.linalg.cholesky(k)
        alpha = torch.cholesky_solve(self.y[:, None], chol)
        data_fit = 0.5 * (self.y[:, None] * alpha).sum()
        complexity = torch.log(torch.diagonal(chol)).sum()
        return (data_fit + complexity + 0.5 * n * math.log(2 * math.pi)) / n

    @torch.no_grad()
    def predict(self, x_new):
        n = self.x.shape[0]
        k = self.kernel(self.x, self.x) + (self.log_noise.exp() + 1e-6) * torch.eye(n)
        return self.kernel(x_new, self.x) @ torch.linalg.solve(k, self.y)


def sensor_series(n=120, seed=3):
    """A daily temperature cycle with a slow drift, sampled irregularly, in kelvin."""
    g = torch.Generator().manual_seed(seed)
    t = torch.sort(10.0 * torch.rand(n, generator=g)).values
    y = 291.0 + 3.0 * torch.sin(2 * math.pi * t / 2.5) + 0.4 * t + 0.3 * torch.randn(n, generator=g)
    return t, y


def main():
    t, y = sensor_series()
    mean, std = y.mean(), y.std()
    gp = ExactGP(t, (y - mean) / std)
    optimizer = torch.optim.LBFGS(gp.parameters(), **LBFGS_KW)

    def closure():
        optimizer.zero_grad()
        loss = gp.nll()
        loss.backward()
        return loss

    for it in range(5):
        loss = optimizer.step(closure)
        print(f"iter {it}: nll/n {loss.item():.4f}  lengthscale {gp.log_lengthscale.exp().item():.3f} d  "
              f"signal {gp.log_signal.exp().sqrt().item():.3f}  noise {gp.log_noise.exp().sqrt().item() * std.item():.3f} K")

    t_test = torch.linspace(0.5, 9.5, 50)
    truth = 291.0 + 3.0 * torch.sin(2 * math.pi * t_test / 2.5) + 0.4 * t_test
    pred = gp.predict(t_test) * std + mean
    print(f"test RMSE {(pred - truth).pow(2).mean().sqrt().item():.3f} K")


if __name__ == "__main__":
    main()
