"""Rayleigh-wave dispersion from ambient seismic noise with the SPAC method.

Vertical geophones on concentric rings record ambient noise. Aki's spatial autocorrelation
coefficient between the centre station and a ring of radius r is, for a diffuse wavefield,

    rho(f, r) = J0(2 pi f r / c(f))

where c(f) is the phase velocity. A small network maps log-frequency to c(f) (kept between the
shear velocities a site of this kind can have); each ring also gets a coherence factor for the
incoherent noise (wind, traffic) recorded at its stations.
"""
import math

import torch
import torch.nn as nn
from torch.special import bessel_j0

CONFIG = {
    "ring_radii_m": [5.0, 10.0, 20.0, 40.0],
    "f_min_hz": 2.0,
    "f_max_hz": 25.0,
    "n_freqs": 48,
    "c_min": 120.0,
    "c_max": 900.0,
    "hidden": 32,
    "lr": 5e-3,
    "iterations": 400,
    "seed": 5,
}


def true_dispersion(freqs):
    """A normally dispersive two-layer site: fast at low frequency, slow at high."""
    return 180.0 + 520.0 / (1.0 + (freqs / 6.0) ** 1.6)


def spac_coefficient(freqs, radii, velocity):
    argument = 2 * math.pi * freqs.unsqueeze(0) * radii.unsqueeze(1) / velocity.unsqueeze(0)
    return bessel_j0(argument)


def synthetic_spac(cfg, gen):
    freqs = torch.logspace(math.log10(cfg["f_min_hz"]), math.log10(cfg["f_max_hz"]), cfg["n_freqs"])
    radii = torch.tensor(cfg["ring_radii_m"])
    coherence = torch.tensor([0.95, 0.9, 0.85, 0.8]).unsqueeze(1)
    rho = coherence * spac_coefficient(freqs, radii, true_dispersion(freqs))
    rho = rho + 0.02 * torch.randn(rho.shape, generator=gen)
    return freqs, radii, rho


class DispersionNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_min, self.c_max = cfg["c_min"], cfg["c_max"]
        self.mlp = nn.Sequential(
            nn.Linear(1, cfg["hidden"]), nn.Tanh(),
            nn.Linear(cfg["hidden"], cfg["hidden"]), nn.Tanh(),
            nn.Linear(cfg["hidden"], 1),
        )

    def forward(self, freqs):
        z = torch.log(freqs).unsqueeze(1)
        unit = torch.sigmoid(self.mlp(z)).squeeze(1)
        return self.c_min + (self.c_max - self.c_min) * unit


def invert(cfg=CONFIG):
    torch.manual_seed(cfg["seed"])
    freqs, radii, observed = synthetic_spac(cfg, torch.Generator().manual_seed(cfg["seed"]))

    net = DispersionNet(cfg)
    coherence_logit = nn.Parameter(torch.full((len(radii), 1), 2.0))
    opt = torch.optim.Adam([
        {"params": net.parameters()},
        {"params": [coherence_logit], "lr": 1e-2},
    ], lr=cfg["lr"])

    for it in range(cfg["iterations"]):
        velocity = net(freqs)
        predicted = torch.sigmoid(coherence_logit) * spac_coefficient(freqs, radii, velocity)
        loss = nn.functional.mse_loss(predicted, observed)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 100 == 0:
            with torch.no_grad():
                rel = ((net(freqs) - true_dispersion(freqs)).abs() / true_dispersion(freqs)).mean()
            print(f"iter {it:3d}  misfit {loss.item():.5f}  mean |dc|/c {rel.item():.3f}")
    return net


if __name__ == "__main__":
    invert()
