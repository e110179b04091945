"""A neural signed-distance field for a sphere, trained with an eikonal term. The points are
encoded by a Fourier-feature Function ported from a CUDA extension, whose backward kept the
extension's @once_differentiable."""
import torch
from torch import nn
from torch.autograd.function import once_differentiable

torch.manual_seed(0)


class FourierEncode(torch.autograd.Function):
    @staticmethod
    def forward(ctx, points, freqs):
        proj = points @ freqs
        ctx.save_for_backward(proj, freqs)
        return torch.cat([torch.sin(proj), torch.cos(proj)], dim=-1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        proj, freqs = ctx.saved_tensors
        g_sin, g_cos = grad_out.chunk(2, dim=-1)
        grad_proj = g_sin * torch.cos(proj) - g_cos * torch.sin(proj)
        return grad_proj @ freqs.t(), None


class SDFNet(nn.Module):
    def __init__(self, n_freqs=16, hidden=64):
        super().__init__()
        self.register_buffer("freqs", torch.randn(3, n_freqs) * 2.0)
        self.mlp = nn.Sequential(nn.Linear(2 * n_freqs, hidden), nn.Softplus(beta=50),
                                 nn.Linear(hidden, hidden), nn.Softplus(beta=50), nn.Linear(hidden, 1))

    def forward(self, points):
        return self.mlp(FourierEncode.apply(points, self.freqs)).squeeze(-1)


sdf = SDFNet()
optimizer = torch.optim.Adam(sdf.parameters(), lr=1e-3)

for step in range(200):
    surface = nn.functional.normalize(torch.randn(256, 3), dim=-1) * 0.5
    space = (torch.rand(256, 3) * 2 - 1).requires_grad_(True)
    d = sdf(space)
    (grad,) = torch.autograd.grad(d.sum(), space, create_graph=True)
    eikonal = ((grad.norm(dim=-1) - 1) ** 2).mean()
    loss = sdf(surface).abs().mean() + 0.1 * eikonal
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
