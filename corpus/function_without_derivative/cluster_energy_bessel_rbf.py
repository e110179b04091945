"""A tiny pairwise neural potential for argon clusters, with a learned Bessel-K radial basis.

Each interatomic distance is expanded in exponentially scaled modified Bessel functions of the
second kind, exp(g r) K1(g r), with one learned inverse width g per basis function, multiplied by
a smooth cosine cutoff. A per-pair MLP maps the expansion to a pair energy; the cluster energy is
the sum. Reference energies come from a Lennard-Jones potential on randomly jittered clusters.
"""
import math

import torch
from torch import nn
from torch.special import scaled_modified_bessel_k1

N_ATOMS = 8
CUTOFF = 8.0      # angstrom
SIGMA, EPSILON = 3.4, 0.0104  # argon, eV


def lennard_jones(pos):
    d = torch.cdist(pos, pos)
    i, j = torch.triu_indices(N_ATOMS, N_ATOMS, offset=1)
    r = d[:, i, j]
    sr6 = (SIGMA / r) ** 6
    return (4 * EPSILON * (sr6**2 - sr6)).sum(dim=1)


def random_clusters(n, gen):
    # atoms on a jittered 2x2x2 cube around the LJ minimum spacing
    corners = torch.tensor([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=torch.float)
    base = corners * 2 ** (1 / 6) * SIGMA
    spacing = 0.9 + 0.25 * torch.rand(n, 1, 1, generator=gen)
    pos = base * spacing + 0.15 * torch.randn(n, N_ATOMS, 3, generator=gen)
    return pos, lennard_jones(pos)


class BesselKBasis(nn.Module):
    def __init__(self, n_basis=16):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.linspace(math.log(0.2), math.log(2.0), n_basis))

    def forward(self, r):
        gamma = self.log_gamma.exp()
        envelope = 0.5 * (torch.cos(math.pi * r / CUTOFF) + 1.0) * (r < CUTOFF)
        scaled = scaled_modified_bessel_k1(gamma * r.unsqueeze(-1))
        return scaled * envelope.unsqueeze(-1)


class PairPotential(nn.Module):
    def __init__(self, n_basis=16, hidden=32):
        super().__init__()
        self.basis = BesselKBasis(n_basis)
        self.pair_mlp = nn.Sequential(nn.Linear(n_basis, hidden), nn.SiLU(), nn.Linear(hidden, 1))
        i, j = torch.triu_indices(N_ATOMS, N_ATOMS, offset=1)
        self.register_buffer("i", i)
        self.register_buffer("j", j)

    def forward(self, pos):
        r = (pos[:, self.i] - pos[:, self.j]).norm(dim=-1)
        return self.pair_mlp(self.basis(r)).squeeze(-1).sum(dim=1)


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    pos, energy = random_clusters(2048, gen)
    mean, std = energy.mean(), energy.std()
    target = (energy - mean) / std
    train_idx, val_idx = torch.arange(0, 1792), torch.arange(1792, 2048)

    model = PairPotential()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for epoch in range(6):
        perm = train_idx[torch.randperm(len(train_idx))]
        for k in range(0, len(perm), 128):
            b = perm[k:k + 128]
            loss = nn.functional.mse_loss(model(pos[b]), target[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        with torch.no_grad():
            mae = (model(pos[val_idx]) - target[val_idx]).abs().mean() * std
        print(f"epoch {epoch}: train mse {loss.item():.4f}, val MAE {1000 * mae.item():.2f} meV")


if __name__ == "__main__":
    main()
