"""Black-box variational inference for the transmission and recovery rates of an SIR outbreak.

The simulator (a discretised SIR model with Poisson-observed daily case counts) is treated as a
black box: no gradient is taken through it. The posterior over (log beta, log gamma) is
approximated by an affine-transformed standard normal, fitted with the score-function estimator of
the ELBO's gradient and a batch-mean control variate.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Independent, Normal, Poisson, TransformedDistribution
from torch.distributions.transforms import AffineTransform

DAYS = 60
POPULATION = 10_000.0
TRUE_BETA, TRUE_GAMMA = 0.32, 0.11
N_SAMPLES = 32
STEPS = 300


def simulate_new_cases(log_rates: torch.Tensor, days: int = DAYS) -> torch.Tensor:
    """Expected new cases per day for each row of (log beta, log gamma); shape (n, days)."""
    beta, gamma = log_rates.exp().unbind(-1)
    s = torch.full_like(beta, POPULATION - 10.0)
    i = torch.full_like(beta, 10.0)
    daily = []
    for _ in range(days):
        infections = beta * s * i / POPULATION
        recoveries = gamma * i
        s = s - infections
        i = i + infections - recoveries
        daily.append(infections)
    return torch.stack(daily, dim=-1)


def log_prior(log_rates: torch.Tensor) -> torch.Tensor:
    prior = Independent(Normal(torch.tensor([math.log(0.25), math.log(0.1)]), torch.tensor([0.5, 0.5])), 1)
    return prior.log_prob(log_rates)


def log_likelihood(log_rates: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
    rate = simulate_new_cases(log_rates).clamp_min(1e-3)
    return Poisson(rate).log_prob(observed).sum(-1)


class AffineGaussianPosterior(nn.Module):
    def __init__(self, dim: int = 2):
        super().__init__()
        self.loc = nn.Parameter(torch.tensor([math.log(0.2), math.log(0.2)]))
        self.raw_scale = nn.Parameter(torch.full((dim,), -1.5))
        self.register_buffer("zeros", torch.zeros(dim))
        self.register_buffer("ones", torch.ones(dim))

    def forward(self) -> TransformedDistribution:
        base = Independent(Normal(self.zeros, self.ones), 1)
        scale = F.softplus(self.raw_scale)
        return TransformedDistribution(base, [AffineTransform(self.loc, scale, event_dim=1)])


def elbo_step(posterior, optimizer, observed):
    q = posterior()
    theta = q.rsample((N_SAMPLES,))
    with torch.no_grad():
        log_joint = log_prior(theta) + log_likelihood(theta, observed)

    log_q = q.log_prob(theta)
    learning_signal = log_joint - log_q.detach()
    surrogate = -torch.mean(
        log_q * (learning_signal - learning_signal.mean())
    )

    optimizer.zero_grad()
    surrogate.backward()
    optimizer.step()
    return learning_signal.mean().item()


def main():
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    truth = torch.tensor([[math.log(TRUE_BETA), math.log(TRUE_GAMMA)]])
    observed = torch.poisson(simulate_new_cases(truth)[0], generator=gen)
    print(f"observed outbreak: {int(observed.sum())} cases, peak {int(observed.max())} on day {int(observed.argmax())}")

    posterior = AffineGaussianPosterior()
    optimizer = torch.optim.Adam(posterior.parameters(), lr=0.02)
    for step in range(1, STEPS + 1):
        elbo = elbo_step(posterior, optimizer, observed)
        if step % 50 == 0:
            beta, gamma = posterior.loc.detach().exp().tolist()
            scale = F.softplus(posterior.raw_scale).detach().tolist()
            print(f"step {step:4d}  elbo {elbo:10.1f}  beta ~ {beta:.3f}  gamma ~ {gamma:.3f}  "
                  f"scales {scale[0]:.3f}, {scale[1]:.3f}")
    beta, gamma = posterior.loc.detach().exp().tolist()
    print(f"posterior median: beta {beta:.3f} (true {TRUE_BETA}), gamma {gamma:.3f} (true {TRUE_GAMMA})")


if __name__ == "__main__":
    main()
