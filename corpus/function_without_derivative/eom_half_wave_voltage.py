"""Characterise a tray of lithium-niobate phase modulators from optical spectrum analyser sweeps.

A sinusoidal RF drive of amplitude V puts a phase modulation of depth beta = pi V / V_pi on the
light; the power in the first sideband is P1 = P0 * J1(beta)^2. Each modulator is swept over
the drive amplitude and its first sideband recorded in dBm. Fitted per modulator: the half-wave
voltage V_pi, the optical power P0 reaching the analyser, and the RF cable loss in dB between the
synthesizer and the electrodes (each modulator sits on its own cable).
"""
from dataclasses import dataclass
import math

import torch


@dataclass
class Bench:
    n_modulators: int = 8
    n_drive_steps: int = 40
    max_drive_v: float = 9.0
    noise_db: float = 0.15


@dataclass
class Solver:
    lr: float = 0.02
    steps: int = 500
    report_every: int = 100


def dbm(power_mw):
    return 10.0 * torch.log10(power_mw + 1e-9)


def record_sweeps(bench: Bench, gen: torch.Generator):
    drive = torch.linspace(0.2, bench.max_drive_v, bench.n_drive_steps).expand(bench.n_modulators, -1)
    v_pi = 3.5 + 1.5 * torch.rand(bench.n_modulators, 1, generator=gen)
    p0_mw = 0.5 + torch.rand(bench.n_modulators, 1, generator=gen)
    cable_db = 1.0 + 2.0 * torch.rand(bench.n_modulators, 1, generator=gen)
    at_electrodes = drive * 10 ** (-cable_db / 20)
    p1 = p0_mw * torch.special.bessel_j1(math.pi * at_electrodes / v_pi) ** 2
    return drive, dbm(p1) + bench.noise_db * torch.randn(p1.shape, generator=gen), v_pi


def fit_tray(bench: Bench, solver: Solver, seed: int = 12):
    torch.manual_seed(seed)
    drive, measured_dbm, true_v_pi = record_sweeps(bench, torch.Generator().manual_seed(seed))

    log_v_pi = torch.full((bench.n_modulators, 1), math.log(4.0), requires_grad=True)
    log_p0 = torch.zeros(bench.n_modulators, 1, requires_grad=True)
    cable_db = torch.full((bench.n_modulators, 1), 2.0, requires_grad=True)
    opt = torch.optim.Adam([log_v_pi, log_p0, cable_db], lr=solver.lr)

    for step in range(solver.steps):
        beta = math.pi * drive * 10 ** (-cable_db / 20) / log_v_pi.exp()
        predicted_dbm = dbm(log_p0.exp() * torch.special.bessel_j1(beta) ** 2)
        loss = torch.nn.functional.huber_loss(predicted_dbm, measured_dbm, delta=1.0)

        opt.zero_grad()
        loss.backward()
        opt.step()

        if step % solver.report_every == 0:
            v_pi_err = (log_v_pi.exp() - true_v_pi).abs().mean()
            print(f"step {step:3d}  huber {loss.item():.4f}  mean |V_pi error| {v_pi_err.item():.3f} V")

    return log_v_pi.exp(), log_p0.exp(), cable_db


if __name__ == "__main__":
    v_pi, p0, cable = fit_tray(Bench(), Solver())
    print("V_pi [V]:", [round(v, 2) for v in v_pi.squeeze(1).tolist()])
