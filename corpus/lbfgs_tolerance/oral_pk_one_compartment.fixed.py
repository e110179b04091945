"""Per-subject pharmacokinetic fit of an oral tablet (one-compartment, first-order absorption).

    C(t) = F D ka / (V (ka - ke)) (exp(-ke t) - exp(-ka t))

Plasma concentrations are reported by the assay in g/L, times in hours, dose in grams. The
parameters of each subject (ka, ke in 1/h and V in litres) are fitted on a log scale, starting
from the population estimates of the previous study, and the secondary parameters (half-life,
Cmax, AUC) are derived from the fit.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn

DOSE_G = 0.25
BIOAVAILABILITY = 0.8
SAMPLE_TIMES_H = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0]


@dataclass
class Population:
    ka: float = 1.1     # 1/h
    ke: float = 0.12    # 1/h
    v: float = 38.0     # L


class OneCompartment(nn.Module):
    def __init__(self, n_subjects: int, prior: Population):
        super().__init__()
        self.log_ka = nn.Parameter(torch.full((n_subjects,), prior.ka).log())
        self.log_ke = nn.Parameter(torch.full((n_subjects,), prior.ke).log())
        self.log_v = nn.Parameter(torch.full((n_subjects,), prior.v).log())

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        ka, ke, v = (p.exp()[:, None] for p in (self.log_ka, self.log_ke, self.log_v))
        scale = BIOAVAILABILITY * DOSE_G * ka / (v * (ka - ke))
        return scale * (torch.exp(-ke * t) - torch.exp(-ka * t))


def simulate_study(n_subjects: int, seed: int = 4):
    g = torch.Generator().manual_seed(seed)
    t = torch.tensor(SAMPLE_TIMES_H)
    truth = OneCompartment(n_subjects, Population())
    with torch.no_grad():
        for p in truth.parameters():
            p.add_(0.25 * torch.randn(p.shape, generator=g))
        conc = truth(t)
    # proportional assay error of 6 %
    conc = conc * (1.0 + 0.06 * torch.randn(conc.shape, generator=g))
    return t, conc, truth


class SubjectFitter:
    def __init__(self, model: OneCompartment, rounds: int = 4):
        self.model = model
        self.rounds = rounds
        self.opt = torch.optim.LBFGS(
            model.parameters(),
            lr=1.0,
            max_iter=40,
            tolerance_change=1e-12,
            history_size=20,
            line_search_fn="strong_wolfe",
        )

    def _closure(self, t, conc):
        def closure():
            self.opt.zero_grad()
            loss = (self.model(t) - conc).pow(2).sum(dim=1).mean()
            loss.backward()
            return loss
        return closure

    def run(self, t, conc):
        closure = self._closure(t, conc)
        for r in range(self.rounds):
            loss = self.opt.step(closure)
            print(f"round {r}: SSE per subject {loss.item():.3e} (g/L)^2")


def summary(model: OneCompartment, label: str):
    with torch.no_grad():
        ke, v = model.log_ke.exp(), model.log_v.exp()
        half_life = torch.log(torch.tensor(2.0)) / ke
        auc = BIOAVAILABILITY * DOSE_G / (ke * v)
    print(f"{label:>6s}: t1/2 {half_life.mean().item():.2f} +- {half_life.std().item():.2f} h, "
          f"AUC {auc.mean().item() * 1e3:.2f} +- {auc.std().item() * 1e3:.2f} mg h/L")


def main():
    torch.manual_seed(0)
    t, conc, truth = simulate_study(n_subjects=10)
    print(f"peak concentration {conc.max().item() * 1e3:.2f} mg/L")
    model = OneCompartment(conc.shape[0], Population())
    SubjectFitter(model).run(t, conc)
    summary(truth, "truth")
    summary(model, "fit")


if __name__ == "__main__":
    main()
