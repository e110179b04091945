"""WGAN-GP on a 2-D ring of Gaussians. The critic's activation is a fused leaky ReLU kept from a
CUDA-backed codebase; the gradient penalty differentiates the critic's input gradient again."""
import math

import torch
from torch import nn
from torch.autograd import Function

torch.manual_seed(0)


class FusedLeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return torch.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.where(x > 0, 1.0, ctx.slope), None


class Critic(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1, bias=False)  # a bias cancels in the Wasserstein loss

    def forward(self, x):
        x = FusedLeakyReLU.apply(self.fc1(x), 0.2)
        x = FusedLeakyReLU.apply(self.fc2(x), 0.2)
        return self.out(x)


def real_batch(n):
    angle = torch.randint(0, 8, (n,)) * (2 * math.pi / 8)
    return torch.stack([angle.cos(), angle.sin()], dim=1) * 2 + 0.05 * torch.randn(n, 2)


generator = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
critic = Critic()
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))

for it in range(50):
    real, fake = real_batch(64), generator(torch.randn(64, 8)).detach()
    eps = torch.rand(64, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    d_loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = -critic(generator(torch.randn(64, 8))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
