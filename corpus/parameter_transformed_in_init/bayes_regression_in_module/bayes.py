"""Bayesian linear regression on random Fourier features, with the prior and noise precisions
learned by maximising the evidence (type-II maximum likelihood)."""
import math

import torch as T
from torch import exp, nn


class EvidenceRegression(nn.Module):
    def __init__(self, n_inputs, n_features=64):
        super().__init__()
        self.register_buffer("omega", T.randn(n_inputs, n_features))
        self.register_buffer("phase", T.rand(n_features) * 2 * math.pi)
        self.log_prior_precision = nn.Parameter(T.tensor(0.0))
        self.noise_precision = exp(nn.Parameter(T.tensor(2.0)))
        self.bandwidth = nn.Parameter(T.tensor(1.0))

    def features(self, x):
        return T.cos(x @ self.omega / self.bandwidth + self.phase) * math.sqrt(2.0 / self.omega.shape[1])

    def negative_log_evidence(self, x, y):
        phi = self.features(x)
        n, m = phi.shape
        alpha, beta = self.log_prior_precision.exp(), self.noise_precision
        A = alpha * T.eye(m) + beta * phi.t() @ phi
        L = T.linalg.cholesky(A)
        mean = beta * T.cholesky_solve(phi.t() @ y, L)
        fit = beta * (y - phi @ mean).pow(2).sum() + alpha * mean.pow(2).sum()
        log_det = 2 * T.log(T.diagonal(L)).sum()
        return 0.5 * (fit + log_det - m * T.log(alpha) - n * T.log(beta) + n * math.log(2 * math.pi))
