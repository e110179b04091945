# A deep-kernel Gaussian process: a small network warps the inputs, and a Matern-3/2 kernel on
# the warped features gives the covariance; the exact marginal likelihood is the training loss.
import math

import torch as th
from torch import nn


def scaled_distance(z1, z2, lengthscale):
    diff = (z1.unsqueeze(1) - z2.unsqueeze(0)) / lengthscale
    squared = (diff * diff).sum(-1)
    return squared.clamp_min(1e-12).sqrt()


class DeepKernelGP(nn.Module):
    def __init__(self, in_dim, feat_dim=2):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(in_dim, 32), nn.Tanh(), nn.Linear(32, feat_dim))
        self.log_lengthscale = nn.Parameter(th.zeros(()))
        self.log_outputscale = nn.Parameter(th.zeros(()))
        self.log_noise = nn.Parameter(th.tensor(-2.0))

    def covariance(self, x1, x2):
        r = math.sqrt(3) * scaled_distance(self.features(x1).float(), self.features(x2).float(),
                                           self.log_lengthscale.exp())
        return self.log_outputscale.exp() * (1 + r) * th.exp(-r)

    def marginal_nll(self, x, y):
        k = self.covariance(x, x) + self.log_noise.exp() * th.eye(len(x))
        chol = th.linalg.cholesky(k)
        alpha = th.cholesky_solve(y.unsqueeze(-1), chol).squeeze(-1)
        fit = 0.5 * (y * alpha).sum()
        return (fit + chol.diagonal().log().sum()) / len(x) + 0.5 * math.log(2 * math.pi)

    @th.no_grad()
    def predict(self, x_train, y_train, x_test):
        k = self.covariance(x_train, x_train) + self.log_noise.exp() * th.eye(len(x_train))
        alpha = th.linalg.solve(k, y_train)
        return self.covariance(x_test, x_train) @ alpha
