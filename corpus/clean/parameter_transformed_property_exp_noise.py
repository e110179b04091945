"""GP regression with an RBF kernel, hyper-parameters fitted by marginal likelihood: the noise variance is a property that
exponentiates a registered log-parameter at every use."""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class ExactGP(nn.Module):
    def __init__(self, x, y, noise=0.1):
        super().__init__()
        self.x, self.y = x, y
        self.log_lengthscale = nn.Parameter(torch.zeros(()))
        self.log_outputscale = nn.Parameter(torch.zeros(()))
        self.log_noise = nn.Parameter(torch.tensor(math.log(noise)))

    @property
    def noise(self):
        return self.log_noise.exp()

    def kernel(self, a, b):
        d2 = (a[:, None] - b[None, :]).pow(2) / self.log_lengthscale.exp() ** 2
        return self.log_outputscale.exp() * torch.exp(-0.5 * d2)

    def nll(self):
        n = len(self.x)
        K = self.kernel(self.x, self.x) + self.noise * torch.eye(n)
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(self.y[:, None], L)
        return 0.5 * (self.y[:, None] * alpha).sum() + torch.log(torch.diagonal(L)).sum() + 0.5 * n * math.log(2 * math.pi)


x = torch.linspace(0, 5, 50)
y = torch.sin(2 * x) + 0.2 * torch.randn(50)
model = ExactGP(x, y)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for it in range(40):
    optimizer.zero_grad()
    loss = model.nll()
    loss.backward()
    optimizer.step()
    if it % 10 == 0:
        print(f"it {it}: nll {loss.item():.3f}, noise {model.noise.item():.4f}")
