"""A neural SDF for a torus with an eikonal term. The Fourier-feature encoding is a custom
Function whose backward is written in torch operations and not marked @once_differentiable, so
the eikonal loss can differentiate through it a second time."""
import torch
from torch import nn

torch.manual_seed(0)


class FourierEncode(torch.autograd.Function):
    @staticmethod
    def forward(ctx, points, freqs):
        proj = points @ freqs
        ctx.save_for_backward(proj, freqs)
        return torch.cat([torch.sin(proj), torch.cos(proj)], dim=-1)

    @staticmethod
    def backward(ctx, grad_out):
        proj, freqs = ctx.saved_tensors
        g_sin, g_cos = grad_out.chunk(2, dim=-1)
        grad_proj = g_sin * torch.cos(proj) - g_cos * torch.sin(proj)
        return grad_proj @ freqs.t(), None


def torus_distance(p, major=0.5, minor=0.2):
    ring = torch.stack([p[:, :2].norm(dim=1) - major, p[:, 2]], dim=1)
    return ring.norm(dim=1) - minor


class SDFNet(nn.Module):
    def __init__(self, n_freqs=16, hidden=64):
        super().__init__()
        self.register_buffer("freqs", torch.randn(3, n_freqs) * 2.0)
        self.mlp = nn.Sequential(nn.Linear(2 * n_freqs, hidden), nn.Softplus(beta=50), nn.Linear(hidden, 1))

    def forward(self, points):
        return self.mlp(FourierEncode.apply(points, self.freqs)).squeeze(-1)


sdf = SDFNet()
optimizer = torch.optim.Adam(sdf.parameters(), lr=1e-3)

for step in range(200):
    points = (torch.rand(512, 3) * 2 - 1).requires_grad_(True)
    d = sdf(points)
    (grad,) = torch.autograd.grad(d.sum(), points, create_graph=True)
    loss = (d - torus_distance(points.detach())).abs().mean() + 0.1 * ((grad.norm(dim=-1) - 1) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
