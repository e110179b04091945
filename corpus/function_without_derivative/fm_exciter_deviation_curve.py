"""Learn the audio-level-to-deviation curve of an FM broadcast exciter from sideband readings.

The exciter's audio chain (pre-emphasis, AGC, clipper) makes the peak deviation a nonlinear
function of the input level. Test tones at three frequencies are swept in level while a
spectrum analyser reads the first FM sideband relative to the unmodulated carrier, which for
modulation index beta = deviation / tone frequency is 20 log10 |J1(beta)| dBc. A small network
maps the input level to the deviation; the analyser's reference-level error is fitted too.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class SweepConfig:
    tones_hz: tuple = (3000.0, 5000.0, 10000.0)
    levels_dbfs: tuple = (-30.0, 0.0)
    n_levels: int = 61
    analyser_noise_db: float = 0.2
    analyser_offset_db: float = 0.7


@dataclass
class TrainConfig:
    hidden: int = 32
    lr: float = 3e-3
    epochs: int = 400
    seed: int = 2


def exciter_deviation_hz(level_dbfs):
    """Ground truth: linear below the AGC knee, soft-limited to about 5 kHz above it."""
    linear = 5000.0 * 10 ** (level_dbfs / 20)
    return 5000.0 * torch.tanh(1.4 * linear / 5000.0)


def analyser_sweep(cfg: SweepConfig, gen: torch.Generator):
    levels = torch.linspace(*cfg.levels_dbfs, cfg.n_levels)
    tones = torch.tensor(cfg.tones_hz)
    level_grid, tone_grid = torch.meshgrid(levels, tones, indexing="ij")
    beta = exciter_deviation_hz(level_grid) / tone_grid
    dbc = 20 * torch.log10(torch.special.bessel_j1(beta).abs() + 1e-6) + cfg.analyser_offset_db
    dbc = dbc + cfg.analyser_noise_db * torch.randn(dbc.shape, generator=gen)
    return level_grid.reshape(-1, 1), tone_grid.reshape(-1), dbc.reshape(-1)


def build_deviation_net(hidden):
    return nn.Sequential(
        nn.Linear(1, hidden),
        nn.SiLU(),
        nn.Linear(hidden, hidden),
        nn.SiLU(),
        nn.Linear(hidden, 1),
        nn.Softplus(),
    )


def train(sweep_cfg: SweepConfig, cfg: TrainConfig):
    torch.manual_seed(cfg.seed)
    levels, tones, measured = analyser_sweep(sweep_cfg, torch.Generator().manual_seed(cfg.seed))
    net = build_deviation_net(cfg.hidden)
    ref_offset_db = nn.Parameter(torch.zeros(()))
    optimizer = torch.optim.Adam(
        [*net.parameters(), ref_offset_db],
        lr=cfg.lr,
    )

    for epoch in range(cfg.epochs):
        deviation_khz = net(levels / 30.0 + 1.0).squeeze(1)
        beta = 1000.0 * deviation_khz / tones
        predicted = 20 * torch.log10(torch.special.bessel_j1(beta).abs() + 1e-6) + ref_offset_db
        loss = nn.functional.smooth_l1_loss(predicted, measured)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if epoch % 80 == 0:
            with torch.no_grad():
                grid = torch.tensor([[-20.0], [-10.0], [0.0]])
                learned = 1000.0 * net(grid / 30.0 + 1.0).squeeze(1)
                truth = exciter_deviation_hz(grid.squeeze(1))
            print(f"epoch {epoch:3d}  loss {loss.item():.3f} dB  deviation at -20/-10/0 dBFS: "
                  + ", ".join(f"{a:.0f} Hz (true {b:.0f})" for a, b in zip(learned.tolist(), truth.tolist())))
    return net


if __name__ == "__main__":
    train(SweepConfig(), TrainConfig())
