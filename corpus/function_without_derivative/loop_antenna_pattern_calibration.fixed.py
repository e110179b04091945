"""Anechoic-chamber calibration of a batch of small loop antennas.

For a circular loop of radius a carrying a uniform current, the far-field electric field is

    E_phi(theta) = G * J1(k a sin(theta))

with k = 2 pi f / c. The loops come off the production line with slightly different effective
radii and are mounted with a small tilt on the positioner, and each one has its own gain at each
test frequency (cable and balun losses). All three are fitted to the patterns measured in the
chamber, in dB.
"""
import math

import torch as th
from torch import nn

SPEED_OF_LIGHT = 299_792_458.0
FREQS_HZ = th.tensor([0.9e9, 1.2e9, 1.5e9, 1.8e9, 2.1e9])
THETA = th.linspace(0.05, math.pi - 0.05, 91)
N_LOOPS = 12


def wavenumbers(freqs):
    return 2 * math.pi * freqs / SPEED_OF_LIGHT


def to_db(field):
    return 20.0 * th.log10(field.abs() + 1e-4)


def chamber_measurements(generator):
    radius = 0.045 + 0.01 * th.rand(N_LOOPS, 1, 1, generator=generator)
    tilt = 0.06 * th.randn(N_LOOPS, 1, 1, generator=generator)
    gain = 1.0 + 0.2 * th.randn(N_LOOPS, len(FREQS_HZ), 1, generator=generator)
    k = wavenumbers(FREQS_HZ).view(1, -1, 1)
    field = gain * th.special.bessel_j1(k * radius * th.sin(THETA - tilt))
    return to_db(field) + 0.3 * th.randn(N_LOOPS, len(FREQS_HZ), len(THETA), generator=generator)


def bessel_j1_with_grad(x):
    """th.special.bessel_j1(x) with its derivative, which torch does not compute."""
    d = x.detach()
    return th.special.bessel_j1(x) + (th.where(d == 0, 0.5, th.special.bessel_j0(d) - th.special.bessel_j1(d) / d)) * (x - d)


class LoopAntennas(nn.Module):
    def __init__(
        self,
        n_loops,
        n_freqs,
        nominal_radius=0.05,
    ):
        super().__init__()
        self.radius = nn.Parameter(th.full((n_loops, 1, 1), nominal_radius))
        self.tilt = nn.Parameter(th.zeros(n_loops, 1, 1))
        self.log_gain = nn.Parameter(th.zeros(n_loops, n_freqs, 1))

    def forward(self, freqs, theta):
        k = wavenumbers(freqs).view(1, -1, 1)
        pattern = bessel_j1_with_grad(
            k * self.radius * th.sin(theta - self.tilt)
        )
        return self.log_gain.exp() * pattern


def calibrate(
    steps=300,
    lr=2e-3,
    seed=21,
):
    th.manual_seed(seed)
    measured = chamber_measurements(th.Generator().manual_seed(seed))
    antennas = LoopAntennas(N_LOOPS, len(FREQS_HZ))
    optimizer = th.optim.Adam(
        antennas.parameters(),
        lr=lr,
        betas=(0.9, 0.99),
    )
    for step in range(steps):
        predicted_db = to_db(antennas(FREQS_HZ, THETA))
        loss = nn.functional.smooth_l1_loss(predicted_db, measured)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            radii_mm = 1000 * antennas.radius.detach().flatten()
            print(
                f"step {step:3d}  loss {loss.item():.4f} dB  "
                f"radius {radii_mm.mean():.2f} +- {radii_mm.std():.2f} mm  "
                f"tilt {antennas.tilt.detach().abs().mean():.4f} rad"
            )
    return antennas


if __name__ == "__main__":
    calibrate()
