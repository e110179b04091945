"""Refit the Sellmeier coefficients of one glass melt from minimum-deviation prism measurements.

The catalogue gives the nominal N-BK7 coefficients; every melt deviates from them by some 1e-5 in
index, which the melt data sheet has to report. The refractive index is measured at twelve
spectral lines with a goniometer (uncertainty 1e-6), and the six Sellmeier coefficients are
refitted starting from the catalogue values:

    n^2(lam) - 1 = sum_k B_k lam^2 / (lam^2 - C_k),   lam in micrometres
"""
import math

import torch as th

th.set_default_dtype(th.float64)

CATALOGUE_B = [1.03961212, 0.231792344, 1.01046945]
CATALOGUE_C = [0.00600069867, 0.0200179144, 103.560653]

# Fraunhofer and laser lines used on the goniometer, micrometres
LINES = {
    "i": 0.365015, "h": 0.404656, "g": 0.435835, "F'": 0.479991, "F": 0.486134, "e": 0.546074,
    "d": 0.587562, "D": 0.589294, "HeNe": 0.632800, "C": 0.656273, "r": 0.706519, "t": 1.013980,
}


def sellmeier(lam, b, c):
    lam2 = lam[:, None] ** 2
    return th.sqrt(1.0 + (b * lam2 / (lam2 - c)).sum(dim=1))


def measured_melt(seed=2):
    """The melt: slightly more B1, slightly less B2 than nominal, read with 1e-6 noise."""
    g = th.Generator().manual_seed(seed)
    lam = th.tensor(list(LINES.values()))
    b = th.tensor(CATALOGUE_B) * th.tensor([1.0001, 0.99965, 1.0])
    c = th.tensor(CATALOGUE_C) * th.tensor([1.0005, 1.0, 1.0])
    n = sellmeier(lam, b, c)
    return lam, n + 1e-6 * th.randn(lam.shape, generator=g)


def abbe_number(b, c):
    nd, nf, nc = sellmeier(th.tensor([LINES["d"], LINES["F"], LINES["C"]]), b, c).tolist()
    return (nd - 1.0) / (nf - nc)


def refit(lam, n_meas, passes=3):
    b = th.tensor(CATALOGUE_B, requires_grad=True)
    c = th.tensor(CATALOGUE_C, requires_grad=True)
    opt = th.optim.LBFGS([b, c], 1.0, 100, None, 1e-5, 1e-9, 50, "strong_wolfe")

    def closure():
        opt.zero_grad()
        resid = sellmeier(lam, b, c) - n_meas
        loss = resid.pow(2).mean()
        loss.backward()
        return loss

    for p in range(passes):
        loss = opt.step(closure)
        print(f"pass {p}: rms index residual {math.sqrt(loss.item()):.2e}  "
              f"B = {', '.join(f'{v:.8f}' for v in b.tolist())}")
    return b.detach(), c.detach()


def main():
    lam, n_meas = measured_melt()
    cat_b, cat_c = th.tensor(CATALOGUE_B), th.tensor(CATALOGUE_C)
    print(f"catalogue: nd {sellmeier(th.tensor([LINES['d']]), cat_b, cat_c).item():.6f}  "
          f"vd {abbe_number(cat_b, cat_c):.3f}")
    b, c = refit(lam, n_meas)
    nd = sellmeier(th.tensor([LINES["d"]]), b, c).item()
    print(f"melt:      nd {nd:.6f}  vd {abbe_number(b, c):.3f}")
    for name, lam_um in list(LINES.items())[::3]:
        n_fit = sellmeier(th.tensor([lam_um]), b, c).item()
        n_cat = sellmeier(th.tensor([lam_um]), cat_b, cat_c).item()
        print(f"  {name:>4s} {lam_um:.4f} um: melt - catalogue = {1e5 * (n_fit - n_cat):+.2f} e-5")


if __name__ == "__main__":
    main()
