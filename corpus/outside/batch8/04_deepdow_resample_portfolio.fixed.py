"""End-to-end portfolio allocation (deepdow style) with a resampling allocator.

network: lookback returns -> (expected returns, covariance sqrt) -> Resample(allocator) -> weights
loss: negative Sharpe ratio of the allocated portfolio over the horizon.
"""
import torch
import torch.nn as nn
from torch.distributions import MultivariateNormal

torch.manual_seed(0)

N_ASSETS = 5
LOOKBACK = 20
HORIZON = 5


class CovarianceMatrix(nn.Module):
    """Sample covariance matrix (or its Cholesky factor) from a batch of return series."""

    def __init__(self, sqrt=True, shrinkage_strategy="diagonal", shrinkage_coef=0.5):
        super().__init__()
        self.sqrt = sqrt
        self.shrinkage_strategy = shrinkage_strategy
        self.shrinkage_coef = shrinkage_coef

    def forward(self, x):
        # x: (n_samples, n_timesteps, n_assets)
        xc = x - x.mean(dim=1, keepdim=True)
        cov = xc.transpose(1, 2) @ xc / (x.shape[1] - 1)
        if self.shrinkage_strategy == "diagonal":
            diag = torch.diag_embed(torch.diagonal(cov, dim1=1, dim2=2))
            cov = (1 - self.shrinkage_coef) * cov + self.shrinkage_coef * diag
        cov = cov + 1e-6 * torch.eye(cov.shape[-1])
        return torch.linalg.cholesky(cov) if self.sqrt else cov


class SoftmaxMeanVariance(nn.Module):
    """Allocator: softmax over risk-adjusted expected returns (learnable risk aversion and temperature)."""

    def __init__(self):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.tensor(0.0))
        self.log_temperature = nn.Parameter(torch.tensor(-2.0))

    def forward(self, covmat, rets):
        variances = torch.diagonal(covmat, dim1=1, dim2=2)
        score = rets - torch.exp(self.log_gamma) * variances
        return torch.softmax(score / torch.exp(self.log_temperature), dim=-1)


class Resample(nn.Module):
    """Michaud resampling: draw returns from N(rets, covmat), re-estimate, allocate, average."""

    def __init__(self, allocator, n_draws=20, n_portfolios=5, sqrt=True):
        super().__init__()
        self.allocator = allocator
        self.n_draws = n_draws
        self.n_portfolios = n_portfolios
        self.uses_sqrt = sqrt

    def forward(self, matrix, rets):
        if self.uses_sqrt:
            dist = MultivariateNormal(loc=rets, scale_tril=matrix)
        else:
            dist = MultivariateNormal(loc=rets, covariance_matrix=matrix)

        portfolios = []  # n_portfolios elements of (n_samples, n_assets)
        for _ in range(self.n_portfolios):
            draws = dist.rsample((self.n_draws,))  # (n_draws, n_samples, n_assets)
            rets_ = draws.mean(dim=0)
            covmat_ = CovarianceMatrix(sqrt=False, shrinkage_strategy=None)(draws.permute(1, 0, 2))
            portfolios.append(self.allocator(covmat_, rets_))
        return torch.stack(portfolios, dim=0).mean(dim=0)


class ResampleNet(nn.Module):
    def __init__(self, n_assets=N_ASSETS, lookback=LOOKBACK, hidden=32):
        super().__init__()
        self.norm = nn.InstanceNorm1d(n_assets, affine=True)
        self.rets_net = nn.Sequential(nn.Linear(lookback, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.covmat_layer = CovarianceMatrix(sqrt=True)
        self.cov_scale = nn.Parameter(torch.tensor(1.0))
        self.portfolio_opt_layer = Resample(SoftmaxMeanVariance())

    def forward(self, x):
        # x: (n_samples, lookback, n_assets)
        xn = self.norm(x.transpose(1, 2))                  # (n_samples, n_assets, lookback)
        exp_rets = self.rets_net(xn).squeeze(-1) * 0.01    # (n_samples, n_assets)
        covmat_sqrt = self.covmat_layer(x) * self.cov_scale
        return self.portfolio_opt_layer(covmat_sqrt, exp_rets)


def sharpe_loss(weights, y):
    # y: (n_samples, horizon, n_assets)
    prets = (y * weights.unsqueeze(1)).sum(-1)
    return -(prets.mean(dim=1) / (prets.std(dim=1) + 1e-6)).mean()


def make_market(n_days=400):
    drift = torch.tensor([0.001, 0.0005, 0.0, -0.0003, 0.0008])
    vol = torch.tensor([0.01, 0.015, 0.008, 0.02, 0.012])
    factor = torch.randn(n_days, 1) * 0.005
    return drift + factor + vol * torch.randn(n_days, N_ASSETS)


if __name__ == "__main__":
    returns = make_market()
    starts = torch.arange(0, returns.shape[0] - LOOKBACK - HORIZON)
    X = torch.stack([returns[s:s + LOOKBACK] for s in starts])
    Y = torch.stack([returns[s + LOOKBACK:s + LOOKBACK + HORIZON] for s in starts])

    network = ResampleNet()
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
    for epoch in range(3):
        perm = torch.randperm(X.shape[0])
        for i in range(0, X.shape[0], 64):
            idx = perm[i:i + 64]
            weights = network(X[idx])
            loss = sharpe_loss(weights, Y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")
