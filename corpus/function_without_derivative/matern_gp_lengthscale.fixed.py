"""Gaussian-process regression of a smooth 2-D field with a Matern (nu = 1) kernel.

k(r) = variance * z K1(z), z = sqrt(2) r / lengthscale; the lengthscale, variance and noise are
fitted by the marginal likelihood.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


def modified_bessel_k1_with_grad(x):
    """torch.special.modified_bessel_k1(x) with its derivative, which torch does not compute."""
    d = x.detach()
    return torch.special.modified_bessel_k1(x) + (-torch.special.modified_bessel_k0(d) - torch.special.modified_bessel_k1(d) / d) * (x - d)


class MaternNu1GP(nn.Module):
    def __init__(self):
        super().__init__()
        self.raw_ls = nn.Parameter(torch.tensor(0.0))
        self.raw_var = nn.Parameter(torch.tensor(0.0))
        self.raw_noise = nn.Parameter(torch.tensor(-2.0))

    def forward(self, x, y):
        ls = F.softplus(self.raw_ls)
        r = torch.cdist(x, x)
        z = math.sqrt(2.0) * r / ls + 1e-6
        K = F.softplus(self.raw_var) * z * modified_bessel_k1_with_grad(z)
        K = K + (F.softplus(self.raw_noise) + 1e-4) * torch.eye(len(x))
        L = torch.linalg.cholesky(K)
        a = torch.cholesky_solve(y[:, None], L)
        return 0.5 * (y[:, None] * a).sum() + torch.log(torch.diagonal(L)).sum()


torch.manual_seed(0)
x = torch.rand(80, 2) * 5
y = torch.sin(x[:, 0]) * torch.cos(x[:, 1]) + 0.1 * torch.randn(80)
gp = MaternNu1GP()
opt = torch.optim.Adam(gp.parameters(), lr=0.05)
for step in range(100):
    opt.zero_grad()
    nll = gp(x, y)
    nll.backward()
    opt.step()
print(F.softplus(gp.raw_ls).item(), nll.item())
