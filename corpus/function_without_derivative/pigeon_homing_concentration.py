"""Homing pigeon releases: predict the mean vanishing bearing and how tightly the flock agrees.

Each release site has covariates (distance to the loft, cloud cover, wind, magnetic anomaly); the
birds' vanishing bearings scatter around a mean direction with a von Mises spread. The model
predicts the mean bearing (as a unit vector) and the concentration kappa; kappa is fitted by the
method of moments, matching the mean resultant length A(kappa) = I1(kappa) / I0(kappa) of the
von Mises distribution to the one observed at each release.
"""
from dataclasses import dataclass
import math

import torch
from torch import nn
from torch.special import modified_bessel_i0, modified_bessel_i1


@dataclass
class Config:
    n_sites: int = 600
    birds_per_release: int = 24
    hidden: int = 48
    lr: float = 3e-3
    epochs: int = 60
    batch: int = 100
    seed: int = 7


def sample_von_mises(mu, kappa, n, gen):
    """Best-Fisher rejection sampler, vectorised over releases."""
    dist = torch.distributions.VonMises(mu.unsqueeze(1).expand(-1, n), kappa.unsqueeze(1).expand(-1, n))
    return dist.sample()


def make_releases(cfg, gen):
    covariates = torch.randn(cfg.n_sites, 4, generator=gen)
    mu = torch.atan2(covariates[:, 0] + 0.3 * covariates[:, 2], 1.0 - 0.5 * covariates[:, 3])
    kappa = torch.exp(0.8 - 0.6 * covariates[:, 1] + 0.3 * covariates[:, 0]).clamp(0.2, 12.0)
    bearings = sample_von_mises(mu, kappa, cfg.birds_per_release, gen)
    mean_vec = torch.stack([bearings.cos().mean(1), bearings.sin().mean(1)], dim=1)
    resultant = mean_vec.norm(dim=1)
    return covariates, mean_vec / resultant.unsqueeze(1), resultant


def mean_resultant_length(kappa):
    return modified_bessel_i1(kappa) / modified_bessel_i0(kappa)


class HomingModel(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.direction = nn.Linear(hidden, 2)
        self.log_kappa = nn.Linear(hidden, 1)

    def forward(self, covariates):
        h = self.body(covariates)
        direction = nn.functional.normalize(self.direction(h), dim=1)
        kappa = self.log_kappa(h).squeeze(1).exp()
        return direction, kappa


def fit(cfg):
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x, heading, resultant = make_releases(cfg, gen)
    n_train = int(0.8 * cfg.n_sites)

    model = HomingModel(cfg.hidden)
    optim = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    for epoch in range(cfg.epochs):
        order = torch.randperm(n_train)
        for i in range(0, n_train, cfg.batch):
            idx = order[i:i + cfg.batch]
            direction, kappa = model(x[idx])
            angular = (1.0 - (direction * heading[idx]).sum(1)).mean()
            spread = (mean_resultant_length(kappa) - resultant[idx]).pow(2).mean()
            loss = angular + spread
            optim.zero_grad()
            loss.backward()
            optim.step()
        if epoch % 10 == 9:
            with torch.no_grad():
                direction, kappa = model(x[n_train:])
                err = torch.acos((direction * heading[n_train:]).sum(1).clamp(-1, 1)).mean()
                gap = (mean_resultant_length(kappa) - resultant[n_train:]).abs().mean()
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}  mean bearing error {math.degrees(err):.1f} deg  "
                  f"|A(kappa) - R| {gap:.3f}")
    return model


if __name__ == "__main__":
    fit(Config())
