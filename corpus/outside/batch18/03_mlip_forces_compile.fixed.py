# Machine-learned interatomic potential (Behler-Parrinello style) trained on
# energies *and* forces, with the energy model wrapped in torch.compile.
#
# Reproduces: https://github.com/torchmd/torchmd-net/issues/307
#   Forces are the negative gradient of the predicted energy with respect to the
#   atomic positions, taken with autograd.grad(create_graph=True) so that the force
#   error can be trained.  Backpropagating the force loss therefore needs a
#   double backward through the energy network.  Once the network is compiled,
#   AOTAutograd has only a first-order backward graph, and the first
#   loss.backward() fails with
#   "torch.compile with aot_autograd does not currently support double backward".
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "n_atoms": 8,
    "n_frames": 96,
    "cutoff": 2.5,
    "n_rbf": 16,
    "hidden": 32,
    "energy_weight": 1.0,
    "force_weight": 10.0,
    "compile": False,  # force training needs double backward, which AOTAutograd lacks
    # inductor needs a working C++ toolchain on the cluster nodes; aot_eager gives
    # the same AOTAutograd graphs and is what we use for debugging
    "compile_backend": "aot_eager",
    "seed": 0,
}


def lennard_jones(pos, eps=1.0, sigma=1.0):
    d = torch.cdist(pos, pos)
    n = pos.shape[-2]
    iu = torch.triu_indices(n, n, 1)
    r = d[..., iu[0], iu[1]]
    sr6 = (sigma / r) ** 6
    return (4 * eps * (sr6 ** 2 - sr6)).sum(-1)


def make_dataset(cfg):
    g = torch.Generator().manual_seed(cfg["seed"])
    base = torch.tensor([[0, 0, 0], [1.1, 0, 0], [0, 1.1, 0], [1.1, 1.1, 0],
                         [0, 0, 1.1], [1.1, 0, 1.1], [0, 1.1, 1.1], [1.1, 1.1, 1.1]])
    pos = base[None] + 0.06 * torch.randn(cfg["n_frames"], cfg["n_atoms"], 3, generator=g)
    pos.requires_grad_(True)
    energy = lennard_jones(pos)
    (grad,) = torch.autograd.grad(energy.sum(), pos)
    return pos.detach(), energy.detach(), (-grad).detach()


class RadialBasis(nn.Module):
    def __init__(self, n_rbf, cutoff):
        super().__init__()
        self.register_buffer("centers", torch.linspace(0.5, cutoff, n_rbf))
        self.gamma = 10.0
        self.cutoff = cutoff

    def forward(self, r):
        env = 0.5 * (torch.cos(torch.pi * r / self.cutoff) + 1.0) * (r < self.cutoff)
        return torch.exp(-self.gamma * (r[..., None] - self.centers) ** 2) * env[..., None]


class AtomicEnergyModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.rbf = RadialBasis(cfg["n_rbf"], cfg["cutoff"])
        self.atom_net = nn.Sequential(
            nn.Linear(cfg["n_rbf"], cfg["hidden"]), nn.SiLU(),
            nn.Linear(cfg["hidden"], cfg["hidden"]), nn.SiLU(),
            nn.Linear(cfg["hidden"], 1))

    def forward(self, pos):
        n = pos.shape[1]
        diff = pos[:, :, None, :] - pos[:, None, :, :]
        off_diag = ~torch.eye(n, dtype=torch.bool, device=pos.device)
        r = (diff.pow(2).sum(-1) + 1e-9).sqrt()
        desc = (self.rbf(r) * off_diag[None, :, :, None]).sum(2)
        return self.atom_net(desc).squeeze(-1).sum(-1)


def energy_and_forces(model, pos):
    pos = pos.requires_grad_(True)
    energy = model(pos)
    (grad,) = torch.autograd.grad(energy.sum(), pos, create_graph=True)
    return energy, -grad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch_size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    args = ap.parse_args()
    cfg = dict(CONFIG)
    torch.manual_seed(cfg["seed"])

    pos, energy, forces = make_dataset(cfg)
    e_std, f_std = energy.std(), forces.std()
    loader = DataLoader(TensorDataset(pos, energy, forces), batch_size=args.batch_size, shuffle=True)

    model = AtomicEnergyModel(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(loader))
    if cfg["compile"]:
        model.compile(backend=cfg["compile_backend"])

    for epoch in range(args.epochs):
        e_err = f_err = 0.0
        for p, e_ref, f_ref in loader:
            e_pred, f_pred = energy_and_forces(model, p.clone())
            loss_e = (((e_pred - e_ref) / e_std) ** 2).mean()
            loss_f = (((f_pred - f_ref) / f_std) ** 2).mean()
            loss = cfg["energy_weight"] * loss_e + cfg["force_weight"] * loss_f
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            e_err += (e_pred - e_ref).abs().mean().item()
            f_err += (f_pred - f_ref).abs().mean().item()
        print(f"epoch {epoch}: energy MAE {e_err / len(loader):.4f}  force MAE {f_err / len(loader):.4f}")


if __name__ == "__main__":
    main()
