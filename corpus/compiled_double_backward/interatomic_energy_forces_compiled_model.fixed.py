"""A neural pair potential trained on energies and forces. The energy model is compiled for
speed; the forces are -dE/dpos taken with create_graph=True so that the force error can be
trained on, which needs a double backward through the compiled graph."""
import torch
from torch import nn

torch.manual_seed(0)


class PairEnergy(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.radial = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                    nn.Linear(hidden, 1))

    def forward(self, pos):
        diff = pos[:, :, None, :] - pos[:, None, :, :]
        dist = torch.sqrt((diff ** 2).sum(-1) + 1e-6)
        mask = 1.0 - torch.eye(pos.shape[1])
        return 0.5 * (self.radial(dist[..., None]).squeeze(-1) * mask).sum(dim=(1, 2))


def lennard_jones(pos):
    diff = pos[:, :, None, :] - pos[:, None, :, :]
    r2 = (diff ** 2).sum(-1) + torch.eye(pos.shape[1])
    inv6 = (1.0 / r2) ** 3
    return 0.5 * (4 * (inv6 ** 2 - inv6) * (1.0 - torch.eye(pos.shape[1]))).sum(dim=(1, 2))


grid = torch.stack(torch.meshgrid(*[torch.arange(2.0)] * 3, indexing="ij"), -1).reshape(-1, 3) * 1.2
configs = grid + 0.05 * torch.randn(128, 8, 3)
configs.requires_grad_(True)
ref_energy = lennard_jones(configs)
(ref_forces,) = torch.autograd.grad(-ref_energy.sum(), configs)
configs, ref_energy = configs.detach(), ref_energy.detach()

model = PairEnergy()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(20):
    for i in range(0, 128, 32):
        pos = configs[i:i + 32].clone().requires_grad_(True)
        energy = model(pos)
        (dE,) = torch.autograd.grad(energy.sum(), pos, create_graph=True)
        energy_loss = ((energy - ref_energy[i:i + 32]) ** 2).mean()
        force_loss = ((-dE - ref_forces[i:i + 32]) ** 2).mean()
        loss = energy_loss + 10 * force_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
