"""Lumped-parameter loudspeaker model and its identification from laser-vibrometer data.

Voice-coil inductance is neglected below a few hundred hertz, so the coil current follows the
voltage at once and the cone obeys

    Mms x'' + Rms x' + x / Cms = Bl i,      i = (u - Bl x') / Re

Re is measured with an ohmmeter and kept fixed; Bl, Mms, Cms and Rms are identified, on a log
scale, from cone excursion (metres) under a multisine voltage.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class DriverDatasheet:
    re: float = 6.4        # ohm
    bl: float = 5.5        # T m
    mms: float = 0.012     # kg
    cms: float = 9e-4      # m / N
    rms: float = 1.1       # kg / s


class LumpedDriver(nn.Module):
    def __init__(self, guess: DriverDatasheet, dt: float):
        super().__init__()
        self.re = guess.re
        self.dt = dt
        self.log_bl = nn.Parameter(torch.tensor(math.log(guess.bl)))
        self.log_mms = nn.Parameter(torch.tensor(math.log(guess.mms)))
        self.log_cms = nn.Parameter(torch.tensor(math.log(guess.cms)))
        self.log_rms = nn.Parameter(torch.tensor(math.log(guess.rms)))

    def constants(self) -> dict[str, float]:
        return {
            "bl": self.log_bl.exp().item(),
            "mms": self.log_mms.exp().item(),
            "cms": self.log_cms.exp().item(),
            "rms": self.log_rms.exp().item(),
        }

    def forward(self, voltage: torch.Tensor) -> torch.Tensor:
        bl, mms = self.log_bl.exp(), self.log_mms.exp()
        k, rms = 1.0 / self.log_cms.exp(), self.log_rms.exp()
        x = voltage.new_zeros(voltage.shape[0])
        v = voltage.new_zeros(voltage.shape[0])
        out = []
        for n in range(voltage.shape[1]):
            current = (voltage[:, n] - bl * v) / self.re
            acc = (bl * current - rms * v - k * x) / mms
            v = v + self.dt * acc
            x = x + self.dt * v
            out.append(x)
        return torch.stack(out, dim=1)


@dataclass
class FitSettings:
    rounds: int = 4
    lr: float = 1.0
    max_iter: int = 10
    history: int = 10
    log_every: int = 1
    names: list[str] = field(default_factory=lambda: ["bl", "mms", "cms", "rms"])


class ThieleSmallIdentifier:
    def __init__(self, model: LumpedDriver, settings: FitSettings):
        self.model = model
        self.settings = settings
        self.optimizer = torch.optim.LBFGS(
            model.parameters(),
            settings.lr,
            max_iter=settings.max_iter,
            history_size=settings.history,
            tolerance_grad=1e-5,
            tolerance_change=1e-9,
            line_search_fn="strong_wolfe",
        )

    def fit(self, voltage: torch.Tensor, excursion: torch.Tensor) -> list[float]:
        history = []

        def closure():
            self.optimizer.zero_grad()
            loss = torch.mean((self.model(voltage) - excursion) ** 2)
            loss.backward()
            return loss

        for r in range(self.settings.rounds):
            loss = self.optimizer.step(closure)
            history.append(loss.item())
            if r % self.settings.log_every == 0:
                consts = self.model.constants()
                fs = 1.0 / (2 * math.pi * math.sqrt(consts["mms"] * consts["cms"]))
                print(f"round {r}: MSE {loss.item():.3e} m^2  fs {fs:.1f} Hz  "
                      + "  ".join(f"{n} {consts[n]:.4g}" for n in self.settings.names))
        return history
