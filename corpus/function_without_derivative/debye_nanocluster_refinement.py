"""Refine the atom positions of a small gold nanocluster against its total scattering pattern.

The Debye scattering equation gives the powder-averaged intensity of a finite cluster directly
from its interatomic distances, without a crystal lattice:

    I(q) = scale * sum_ij f(q)^2 sin(q r_ij) / (q r_ij) + background

A starting model (a perturbed cuboctahedron) is refined by gradient descent on the squared error
against a synthetic pattern, with a soft penalty that keeps atoms from overlapping.
"""
import itertools
import math

import torch
import torch.nn as nn


def cuboctahedron(bond=2.88):
    """A 13-atom cuboctahedral cluster: one centre atom and the 12 midpoints of a cube's edges."""
    pts = [(0.0, 0.0, 0.0)]
    for a, b in itertools.product((-1.0, 1.0), repeat=2):
        pts += [(a, b, 0.0), (a, 0.0, b), (0.0, a, b)]
    return torch.tensor(pts) * bond / math.sqrt(2.0)


def form_factor(q):
    # a single-Gaussian approximation of the gold atomic form factor
    return 79.0 * torch.exp(-0.02 * q**2)


class DebyeCluster(nn.Module):
    def __init__(self, start_positions):
        super().__init__()
        self.positions = nn.Parameter(start_positions.clone())
        self.log_scale = nn.Parameter(torch.zeros(()))
        self.background = nn.Parameter(torch.zeros(()))
        n = start_positions.shape[0]
        i, j = torch.triu_indices(n, n, offset=1)
        self.register_buffer("pair_i", i)
        self.register_buffer("pair_j", j)

    def distances(self):
        diff = self.positions[self.pair_i] - self.positions[self.pair_j]
        return diff.norm(dim=-1)

    def debye_sum(self, q, r):
        qr = q.unsqueeze(1) * r.unsqueeze(0)
        self_term = self.positions.shape[0]
        return self_term + 2.0 * torch.special.spherical_bessel_j0(qr).sum(dim=1)

    def forward(self, q):
        intensity = form_factor(q) ** 2 * self.debye_sum(q, self.distances())
        return self.log_scale.exp() * intensity / 1e5 + self.background

    def overlap_penalty(self, min_distance=2.4):
        return torch.relu(min_distance - self.distances()).pow(2).sum()


def make_pattern(q, seed):
    g = torch.Generator().manual_seed(seed)
    true_positions = cuboctahedron() + 0.08 * torch.randn(13, 3, generator=g)
    reference = DebyeCluster(true_positions)
    with torch.no_grad():
        pattern = 1.3 * (reference(q) - reference.background) + 0.05
        pattern = pattern + 0.01 * pattern.abs().mean() * torch.randn(q.shape, generator=g)
    return pattern


def main():
    torch.manual_seed(0)
    q = torch.linspace(0.5, 12.0, 240)
    observed = make_pattern(q, seed=0)

    start = cuboctahedron(bond=2.95) + 0.15 * torch.randn(13, 3)
    model = DebyeCluster(start)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    for it in range(250):
        optimizer.zero_grad()
        fit = model(q)
        rwp = ((fit - observed) ** 2).sum() / (observed**2).sum()
        loss = rwp + 1e-3 * model.overlap_penalty()
        loss.backward()
        optimizer.step()
        if it % 50 == 0:
            print(f"iteration {it:3d}: Rwp {math.sqrt(rwp.item()):.4f}")

    print("refined scale", model.log_scale.exp().item(), "background", model.background.item())


if __name__ == "__main__":
    main()
