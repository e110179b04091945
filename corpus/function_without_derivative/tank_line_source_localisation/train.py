"""Locate vibrating pipes in a shallow test tank from a ring of hydrophones.

For each recording a line source (a pipe driven by a shaker at 500 Hz) sits somewhere in the
middle of the tank; sixteen hydrophones on a 3 m ring report the in-phase pressure from a
lock-in amplifier. Per recording, the source position and strength are fitted, together with a
gain correction per hydrophone shared by all recordings.
"""
import math

import torch
from torch import nn

import acoustics

FREQUENCY_HZ = 500.0
N_RECORDINGS = 24
N_HYDROPHONES = 16


def hydrophone_ring(radius=3.0):
    angles = torch.arange(N_HYDROPHONES) * 2 * math.pi / N_HYDROPHONES
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def recordings(receivers, seed=13):
    g = torch.Generator().manual_seed(seed)
    sources = 0.8 * (2 * torch.rand(N_RECORDINGS, 2, generator=g) - 1)
    strength = 0.5 + torch.rand(N_RECORDINGS, generator=g)
    gains = 1.0 + 0.05 * torch.randn(N_HYDROPHONES, generator=g)
    p = gains * acoustics.in_phase_pressure(strength, sources, receivers, FREQUENCY_HZ)
    return p + 0.005 * torch.randn(p.shape, generator=g), sources


class TankModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.source_xy = nn.Parameter(torch.zeros(N_RECORDINGS, 2))
        self.log_strength = nn.Parameter(torch.zeros(N_RECORDINGS))
        self.log_gain = nn.Parameter(torch.zeros(N_HYDROPHONES))

    def forward(self, receivers):
        pressure = acoustics.in_phase_pressure(self.log_strength.exp(), self.source_xy, receivers, FREQUENCY_HZ)
        return self.log_gain.exp() * pressure


def main():
    torch.manual_seed(0)
    receivers = hydrophone_ring()
    measured, true_sources = recordings(receivers)
    model = TankModel()
    with torch.no_grad():
        model.source_xy.normal_(std=0.05)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    for step in range(400):
        optimizer.zero_grad()
        loss = (model(receivers) - measured).pow(2).mean() / 0.005**2
        loss = loss + 10.0 * model.log_gain.mean() ** 2
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            with torch.no_grad():
                error_cm = 100 * (model.source_xy - true_sources).norm(dim=1).median()
            print(f"step {step:3d}  chi2/n {loss.item():9.2f}  median position error {error_cm:.1f} cm")


if __name__ == "__main__":
    main()
