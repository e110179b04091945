"""An implicit surface (IGR-style) for a sphere: a wrapper module compiles the MLP it is given
and the training adds an eikonal term, |grad_x f| = 1, taken with create_graph=True."""
import torch
from torch import nn

torch.manual_seed(0)


class ImplicitSurface(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, points):
        return self.net(points).squeeze(-1)


def mlp(hidden=64):
    return nn.Sequential(nn.Linear(3, hidden), nn.Softplus(beta=100), nn.Linear(hidden, hidden),
                         nn.Softplus(beta=100), nn.Linear(hidden, 1))


surface_points = nn.functional.normalize(torch.randn(2048, 3), dim=1) * 0.6
sdf = ImplicitSurface(mlp())
optimizer = torch.optim.Adam(sdf.parameters(), lr=5e-4)

for step in range(300):
    on_surface = surface_points[torch.randint(0, 2048, (256,))]
    off_surface = (torch.rand(256, 3) * 2 - 1).requires_grad_(True)
    values = sdf(off_surface)
    (normals,) = torch.autograd.grad(values.sum(), off_surface, create_graph=True)
    eikonal = ((normals.norm(dim=1) - 1) ** 2).mean()
    loss = sdf(on_surface).abs().mean() + 0.1 * eikonal
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: {loss.item():.4f}")
