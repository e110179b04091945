"""Differentiable drum synthesis: recover how a circular drum was struck from its spectrum.

A small encoder reads a log-magnitude spectrum and predicts, for the first radial modes of an ideal
membrane, where the stick hit (as a fraction of the radius), how loud the hit was and how fast each
mode decays. The synthesizer turns those into modal amplitudes; the loss compares them with the
spectrum of synthetic hits.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# Zeros of J0: the radial wavenumbers of the axisymmetric modes (0, n) of a clamped membrane.
J0_ZEROS = torch.tensor([2.4048, 5.5201, 8.6537, 11.7915, 14.9309, 18.0711])
N_MODES = len(J0_ZEROS)
N_BINS = 64
SAMPLE_RATE = 8000.0
FUNDAMENTAL = 110.0


def mode_frequencies():
    return FUNDAMENTAL * J0_ZEROS / J0_ZEROS[0]


def render_spectrum(amplitudes, decays):
    """Sum of Lorentzian peaks, one per mode, sampled on N_BINS frequency bins."""
    bins = torch.linspace(0.0, 1200.0, N_BINS)
    freqs = mode_frequencies()
    width = decays.unsqueeze(-1) / (2 * math.pi)
    peaks = amplitudes.unsqueeze(-1) * width**2 / ((bins - freqs.unsqueeze(-1)) ** 2 + width**2)
    return torch.log1p(peaks.sum(dim=-2))


def make_hits(n, generator):
    strike = 0.05 + 0.85 * torch.rand(n, 1, generator=generator)
    velocity = 0.5 + torch.rand(n, 1, generator=generator)
    decays = 20.0 + 40.0 * torch.rand(n, N_MODES, generator=generator)
    amplitudes = velocity * torch.special.bessel_j0(J0_ZEROS * strike).abs()
    spectra = render_spectrum(amplitudes, decays)
    return spectra + 0.01 * torch.randn(spectra.shape, generator=generator)


class DrumEncoder(nn.Module):
    def __init__(self, hidden=96):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(N_BINS, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
        )
        self.strike_head = nn.Linear(hidden, 1)
        self.velocity_head = nn.Linear(hidden, 1)
        self.decay_head = nn.Linear(hidden, N_MODES)

    def forward(self, spectrum):
        h = self.trunk(spectrum)
        strike = torch.sigmoid(self.strike_head(h))
        velocity = F.softplus(self.velocity_head(h))
        decays = 20.0 + 40.0 * torch.sigmoid(self.decay_head(h))
        return strike, velocity, decays


class ModalSynth(nn.Module):
    """Amplitude of mode (0, n) is proportional to the mode shape J0(k_n r) at the strike point."""

    def forward(self, strike, velocity, decays):
        shape = torch.special.bessel_j0(J0_ZEROS * strike)
        amplitudes = velocity * shape.abs()
        return render_spectrum(amplitudes, decays)


def train():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    train_set = make_hits(1024, gen)
    valid_set = make_hits(256, gen)

    encoder = DrumEncoder()
    synth = ModalSynth()
    opt = torch.optim.AdamW(encoder.parameters(), lr=2e-3, weight_decay=1e-4)

    for epoch in range(8):
        perm = torch.randperm(len(train_set))
        running = 0.0
        for start in range(0, len(perm), 64):
            batch = train_set[perm[start:start + 64]]
            rebuilt = synth(*encoder(batch))
            loss = F.mse_loss(rebuilt, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item() * len(batch)
        with torch.no_grad():
            valid = F.mse_loss(synth(*encoder(valid_set)), valid_set).item()
        print(f"epoch {epoch}: train {running / len(train_set):.5f}  valid {valid:.5f}")


if __name__ == "__main__":
    train()
