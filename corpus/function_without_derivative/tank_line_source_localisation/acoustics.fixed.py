"""Two-dimensional acoustics of a shallow test tank: the field of a pulsating line source.

In a layer much thinner than a wavelength the pressure obeys the 2-D Helmholtz equation. Its
outgoing free-space Green's function is G(r) = (i/4) H0(k r) = (i/4) (J0(k r) + i Y0(k r)), so
the component in phase with the drive, the one a lock-in amplifier reports, is -Y0(k r) / 4.
"""
import math

import torch

WATER_SOUND_SPEED = 1482.0  # m/s


def wavenumber(frequency_hz, sound_speed=WATER_SOUND_SPEED):
    return 2 * math.pi * frequency_hz / sound_speed


def distances(sources, receivers):
    """(n_sources, 2) x (n_receivers, 2) -> (n_sources, n_receivers)."""
    return (sources.unsqueeze(1) - receivers.unsqueeze(0)).norm(dim=-1)


def bessel_y0_with_grad(x):
    """torch.special.bessel_y0(x) with its derivative, which torch does not compute."""
    d = x.detach()
    return torch.special.bessel_y0(x) + (-torch.special.bessel_y1(d)) * (x - d)


def in_phase_pressure(amplitude, sources, receivers, frequency_hz):
    kr = wavenumber(frequency_hz) * distances(sources, receivers)
    return -0.25 * amplitude.unsqueeze(1) * bessel_y0_with_grad(kr)
