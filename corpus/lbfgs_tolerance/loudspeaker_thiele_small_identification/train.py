"""Identify the Thiele-Small parameters of a 6.5-inch woofer from a laser-vibrometer recording.

The "measurement" is simulated here from known constants plus sensor noise, so that the
identified values can be checked against the truth.
"""
import math

import torch

from identify import DriverDatasheet, FitSettings, LumpedDriver, ThieleSmallIdentifier

torch.manual_seed(3)
torch.set_default_dtype(torch.float64)

FS = 5000.0
N_SAMPLES = 400


def multisine(n_records: int, n_samples: int, f_lo: float = 20.0, f_hi: float = 400.0, volts: float = 2.0):
    t = torch.arange(n_samples) / FS
    freqs = torch.logspace(math.log10(f_lo), math.log10(f_hi), 12)
    phases = 2 * math.pi * torch.rand(n_records, freqs.numel())
    wave = torch.sin(2 * math.pi * freqs[None, :, None] * t[None, None, :] + phases[..., None]).sum(1)
    return volts * wave / wave.abs().amax(dim=1, keepdim=True)


def record(truth: DriverDatasheet, voltage: torch.Tensor, noise_m: float = 2e-6) -> torch.Tensor:
    reference = LumpedDriver(truth, dt=1.0 / FS)
    with torch.no_grad():
        x = reference(voltage)
    return x + noise_m * torch.randn_like(x)


def main():
    truth = DriverDatasheet(bl=6.1, mms=0.0145, cms=7.2e-4, rms=1.6)
    voltage = multisine(4, N_SAMPLES)
    excursion = record(truth, voltage)
    print(f"peak excursion {excursion.abs().max().item() * 1e3:.3f} mm")

    model = LumpedDriver(DriverDatasheet(), dt=1.0 / FS)
    identifier = ThieleSmallIdentifier(model, FitSettings())
    identifier.fit(voltage, excursion)

    fitted = model.constants()
    for name in ("bl", "mms", "cms", "rms"):
        true_value = getattr(truth, name)
        print(f"{name:>4s}: fitted {fitted[name]:.4g}, true {true_value:.4g} "
              f"({100.0 * (fitted[name] - true_value) / true_value:+.1f} %)")


if __name__ == "__main__":
    main()
