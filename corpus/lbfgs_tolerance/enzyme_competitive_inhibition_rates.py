"""Michaelis-Menten constants of a hydrolase from initial-rate assays.

Initial rates v0 (mmol L^-1 s^-1) were measured at eight substrate concentrations (mmol L^-1)
in triplicate, at three inhibitor concentrations. The competitive-inhibition model

    v0 = Vmax [S] / (Km (1 + [I] / Ki) + [S])

is fitted globally by least squares, on log-parameters so that they stay positive. A
Lineweaver-Burk fit on the uninhibited series gives the starting point.
"""
import math
import random

import torch
from torch.optim import LBFGS

torch.set_default_dtype(torch.float64)

TRUE = {"vmax": 3.2e-4, "km": 4.5e-2, "ki": 1.2e-2}
SUBSTRATE = [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64]
INHIBITOR = [0.0, 0.01, 0.03]
REPLICATES = 3


def rate(s, i, vmax, km, ki):
    return vmax * s / (km * (1.0 + i / ki) + s)


def simulate_assays(seed=7):
    rng = random.Random(seed)
    rows = []
    for i in INHIBITOR:
        for s in SUBSTRATE:
            v = rate(s, i, **TRUE)
            for _ in range(REPLICATES):
                # 4 % multiplicative noise from the plate reader, plus a small blank offset
                rows.append((s, i, v * (1.0 + 0.04 * rng.gauss(0, 1)) + 2e-6 * rng.gauss(0, 1)))
    s, i, v = zip(*rows)
    return torch.tensor(s), torch.tensor(i), torch.tensor(v)


def lineweaver_burk(s, v):
    """1/v = (Km/Vmax) (1/[S]) + 1/Vmax, by ordinary least squares on the reciprocals."""
    x, y = 1.0 / s, 1.0 / v
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    intercept = y.mean() - slope * x.mean()
    vmax = 1.0 / intercept
    return vmax.item(), (slope * vmax).item()


def fit(s, i, v, start, rounds=4):
    log_vmax = torch.tensor(math.log(start["vmax"]), requires_grad=True)
    log_km = torch.tensor(math.log(start["km"]), requires_grad=True)
    log_ki = torch.tensor(math.log(start["ki"]), requires_grad=True)
    params = [log_vmax, log_km, log_ki]
    opt = LBFGS(params, lr=1.0, max_iter=50, history_size=10, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        pred = rate(s, i, log_vmax.exp(), log_km.exp(), log_ki.exp())
        sse = ((pred - v) ** 2).mean()
        sse.backward()
        return sse

    for r in range(rounds):
        sse = opt.step(closure)
        print(
            f"round {r}: MSE {sse.item():.3e} (mM/s)^2  Vmax {log_vmax.exp().item():.3e} mM/s  "
            f"Km {log_km.exp().item() * 1e3:.1f} uM  Ki {log_ki.exp().item() * 1e3:.1f} uM"
        )
    return {"vmax": log_vmax.exp().item(), "km": log_km.exp().item(), "ki": log_ki.exp().item()}


def main():
    s, i, v = simulate_assays()
    free = i == 0
    vmax0, km0 = lineweaver_burk(s[free], v[free])
    start = {"vmax": vmax0, "km": km0, "ki": 0.1}
    print(f"Lineweaver-Burk start: Vmax {vmax0:.3e} mM/s, Km {km0 * 1e3:.1f} uM")
    est = fit(s, i, v, start)
    for name, value in est.items():
        err = 100.0 * (value - TRUE[name]) / TRUE[name]
        print(f"{name:>5s} = {value:.3e}  ({err:+.1f} % from the simulated truth)")


if __name__ == "__main__":
    main()
