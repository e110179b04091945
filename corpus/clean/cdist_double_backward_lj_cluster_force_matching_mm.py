"""Force matching for a learned pair potential on small argon-like clusters. Reference energies
and forces come from a Lennard-Jones potential; the model is a radial pair potential (a sum of
learned Gaussians in the interatomic distance plus a short-range repulsion), its forces the
negative gradient of the energy with respect to the positions, fitted together with the energy."""
import torch
import torch.nn as nn

torch.manual_seed(2)
N_ATOMS = 12
CLUSTERS_PER_BATCH = 8


def lennard_jones(pos, eps=1.0, sigma=1.0):
    n = pos.shape[-2]
    r = (pos[:, :, None, :] - pos[:, None, :, :]).norm(dim=-1) + torch.eye(n)
    sr6 = (sigma / r) ** 6
    e = 4 * eps * (sr6 ** 2 - sr6) * (1 - torch.eye(n))
    return 0.5 * e.sum((-1, -2))


def reference_batch(n_clusters):
    grid = torch.stack(torch.meshgrid(*[torch.arange(3.0)] * 3, indexing="ij"), -1).reshape(-1, 3)
    picks = torch.stack([torch.randperm(27)[:N_ATOMS] for _ in range(n_clusters)])
    pos = grid[picks] * 1.12 + 0.05 * torch.randn(n_clusters, N_ATOMS, 3)
    pos.requires_grad_(True)
    energy = lennard_jones(pos)
    (grad,) = torch.autograd.grad(energy.sum(), pos)
    return pos.detach(), energy.detach(), -grad


class PairPotential(nn.Module):
    def __init__(self, n_basis=16, cutoff=3.0):
        super().__init__()
        self.register_buffer("mu", torch.linspace(0.8, cutoff, n_basis))
        self.log_width = nn.Parameter(torch.full((n_basis,), -1.5))
        self.coef = nn.Parameter(torch.zeros(n_basis))
        self.repulsion = nn.Parameter(torch.tensor(1.0))
        self.cutoff = cutoff

    def forward(self, pos):
        n = pos.shape[-2]
        r = torch.cdist(pos, pos, compute_mode="use_mm_for_euclid_dist")
        off_diag = ~torch.eye(n, dtype=torch.bool)
        r = r[:, off_diag].reshape(pos.shape[0], n, n - 1)
        basis = torch.exp(-((r[..., None] - self.mu) / self.log_width.exp()) ** 2)
        smooth = 0.5 * (torch.cos(torch.pi * (r / self.cutoff).clamp(max=1.0)) + 1)
        pair = (basis @ self.coef) * smooth + self.repulsion.abs() * (0.9 / r) ** 12
        return 0.5 * pair.sum((-1, -2))


def energy_and_forces(model, pos):
    pos = pos.clone().requires_grad_(True)
    energy = model(pos)
    (grad,) = torch.autograd.grad(energy.sum(), pos, create_graph=True)
    return energy, -grad


model = PairPotential()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)

for step in range(300):
    pos, e_ref, f_ref = reference_batch(CLUSTERS_PER_BATCH)
    e_pred, f_pred = energy_and_forces(model, pos)
    loss_e = ((e_pred - e_ref) / N_ATOMS).pow(2).mean()
    loss_f = (f_pred - f_ref).pow(2).mean()
    loss = 0.1 * loss_e + loss_f
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step:3d}  energy mse/atom {loss_e.item():.4f}  force mse {loss_f.item():.4f}")
