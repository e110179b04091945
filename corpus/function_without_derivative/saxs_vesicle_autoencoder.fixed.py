"""Amortised fitting of small-angle X-ray scattering curves of unilamellar lipid vesicles.

A thin spherical shell of radius R scatters as P(q) = j0(q R)^2, with j0 the spherical Bessel
function sin(x)/x; real vesicles are polydisperse, so the model averages over a few radii around
R (Gauss-Hermite quadrature of a 12 % size spread). An encoder reads a log-intensity curve and
predicts R, the forward scale and a flat background; the decoder is the physics. Trained as an
autoencoder on synthetic curves; the encoder then gives sizes without a per-curve fit.
"""
import math

import torch
import torch.nn as nn

Q = torch.logspace(math.log10(0.003), math.log10(0.08), 96)   # 1/angstrom
HERMITE_X = torch.tensor([-2.0202, -0.9586, 0.0, 0.9586, 2.0202])
HERMITE_W = torch.tensor([0.0200, 0.3936, 0.9453, 0.3936, 0.0200]) / math.sqrt(math.pi)
SPREAD = 0.12


def spherical_bessel_j0_with_grad(x):
    """torch.special.spherical_bessel_j0(x) with its derivative, which torch does not compute."""
    d = x.detach()
    return torch.special.spherical_bessel_j0(x) + (torch.where(d == 0, 0.0, (torch.cos(d) - torch.special.spherical_bessel_j0(d)) / d)) * (x - d)


def shell_intensity(radius, scale, background, q=Q):
    """radius, scale, background: (batch,) -> (batch, n_q) intensity of a polydisperse shell."""
    radii = radius[:, None] * (1.0 + math.sqrt(2.0) * SPREAD * HERMITE_X)
    qr = q[None, :, None] * radii[:, None, :]
    form = spherical_bessel_j0_with_grad(qr) ** 2
    averaged = (form * HERMITE_W).sum(dim=-1)
    return scale[:, None] * averaged + background[:, None]


def synthetic_curves(n, seed):
    g = torch.Generator().manual_seed(seed)
    radius = 250.0 + 500.0 * torch.rand(n, generator=g)
    scale = 10 ** (1.0 + torch.rand(n, generator=g))
    background = 10 ** (-3.0 + 0.5 * torch.rand(n, generator=g))
    intensity = shell_intensity(radius, scale, background)
    noisy = intensity * (1.0 + 0.03 * torch.randn(intensity.shape, generator=g))
    return torch.log10(noisy.clamp_min(1e-6)), radius


class VesicleAutoencoder(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(len(Q), hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
        )
        self.size_head = nn.Linear(hidden, 1)
        self.intensity_head = nn.Linear(hidden, 2)

    def radius(self, h):
        return 200.0 + 600.0 * torch.sigmoid(self.size_head(h)).squeeze(1)

    def forward(self, log_curve):
        h = self.encoder(log_curve)
        radius = self.radius(h)
        log_scale, log_background = self.intensity_head(h).unbind(dim=1)
        decoded = shell_intensity(radius, 10 ** (1.5 + log_scale), 10 ** (-2.75 + log_background))
        return torch.log10(decoded.clamp_min(1e-6))


def main():
    torch.manual_seed(0)
    train_curves, _ = synthetic_curves(1024, seed=1)
    test_curves, test_radius = synthetic_curves(256, seed=2)
    model = VesicleAutoencoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(5):
        perm = torch.randperm(len(train_curves))
        for i in range(0, len(perm), 64):
            batch = train_curves[perm[i:i + 64]]
            loss = (model(batch) - batch).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            estimate = model.radius(model.encoder(test_curves))
            err = ((estimate - test_radius).abs() / test_radius).mean()
        print(f"epoch {epoch}: reconstruction {loss.item():.4f}, radius error {100 * err.item():.1f} %")


if __name__ == "__main__":
    main()
