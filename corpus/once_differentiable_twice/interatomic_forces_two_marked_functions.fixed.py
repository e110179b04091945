"""A small neural interatomic potential trained on energies and forces. The pairwise distance
and the smooth cutoff are custom Functions, both marked @once_differentiable; the forces are
-dE/dpos taken with create_graph=True, so the force loss differentiates both backwards again."""
import torch
from torch import nn
from torch.autograd.function import once_differentiable

torch.manual_seed(0)
CUTOFF = 3.0


class PairDistance(torch.autograd.Function):
    @staticmethod
    def forward(ctx, pos):
        diff = pos[:, :, None, :] - pos[:, None, :, :]
        dist = torch.sqrt((diff ** 2).sum(-1) + 1e-6)
        ctx.save_for_backward(diff, dist)
        return dist

    @staticmethod
    def backward(ctx, grad_dist):
        diff, dist = ctx.saved_tensors
        g = (grad_dist / dist)[..., None] * diff
        return g.sum(2) - g.sum(1)


class CosineCutoff(torch.autograd.Function):
    @staticmethod
    def forward(ctx, dist):
        ctx.save_for_backward(dist)
        return 0.5 * (torch.cos(dist * torch.pi / CUTOFF) + 1) * (dist < CUTOFF)

    @staticmethod
    def backward(ctx, grad_out):
        (dist,) = ctx.saved_tensors
        return grad_out * (-0.5 * torch.pi / CUTOFF) * torch.sin(dist * torch.pi / CUTOFF) * (dist < CUTOFF)


class PairPotential(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, pos):
        dist = PairDistance.apply(pos)
        pair = self.net(dist[..., None]).squeeze(-1) * CosineCutoff.apply(dist)
        return 0.5 * pair.sum(dim=(1, 2))


positions = torch.rand(64, 6, 3) * 3
diff = positions[:, :, None] - positions[:, None]
ref_energy = (1 / ((diff ** 2).sum(-1) + 1.0)).sum(dim=(1, 2))
ref_forces = -torch.randn_like(positions) * 0.1
model = PairPotential()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(50):
    for i in range(0, 64, 16):
        pos = positions[i:i + 16].clone().requires_grad_(True)
        energy = model(pos)
        (grad,) = torch.autograd.grad(energy.sum(), pos, create_graph=True)
        energy_loss = ((energy - ref_energy[i:i + 16]) ** 2).mean()
        force_loss = ((-grad - ref_forces[i:i + 16]) ** 2).mean()
        loss = energy_loss + 10 * force_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
