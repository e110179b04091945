"""Spatio-temporal Gaussian-process regression (MiniGP style): a product of an ARD RBF
kernel over space and an RBF kernel over time, hyper-parameters fitted by maximising the
exact log marginal likelihood with Adam on synthetic sensor readings."""
import math
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
JITTER = 1e-6


class ARDKernel(nn.Module):
    def __init__(self, input_dim, initial_length_scale=1.0, initial_signal_variance=1.0):
        super().__init__()
        self.log_length_scales = nn.Parameter(torch.log(torch.ones(input_dim) * initial_length_scale))
        self.log_signal_variance = nn.Parameter(torch.log(torch.tensor(initial_signal_variance)))

    def forward(self, x1, x2):
        ls = torch.exp(self.log_length_scales)
        d = (x1[:, None, :] - x2[None, :, :]) / ls
        return torch.exp(self.log_signal_variance) * torch.exp(-0.5 * (d ** 2).sum(-1))


class STGP(nn.Module):
    def __init__(self, X, T, Y, noise_variance=0.1):
        super().__init__()
        self.X, self.T, self.Y = X, T, Y
        self.kernel_space = ARDKernel(X.shape[1])
        self.kernel_time = ARDKernel(1)
        self.log_noise_variance = nn.Parameter(torch.tensor(math.log(noise_variance)))

    @property
    def noise_variance(self):
        return torch.exp(self.log_noise_variance)

    def covariance(self, X1, T1, X2, T2):
        return self.kernel_space(X1, X2) * self.kernel_time(T1, T2)

    def negative_log_likelihood(self):
        n = self.Y.shape[0]
        K = self.covariance(self.X, self.T, self.X, self.T) + (self.noise_variance + JITTER) * torch.eye(n)
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(self.Y, L)
        return 0.5 * (self.Y * alpha).sum() + torch.log(torch.diagonal(L)).sum() + 0.5 * n * math.log(2 * math.pi)

    def forward(self, Xte, Tte):
        n = self.Y.shape[0]
        K = self.covariance(self.X, self.T, self.X, self.T) + (self.noise_variance + JITTER) * torch.eye(n)
        L = torch.linalg.cholesky(K)
        Ks = self.covariance(Xte, Tte, self.X, self.T)
        mean = Ks @ torch.cholesky_solve(self.Y, L)
        v = torch.cholesky_solve(Ks.t(), L)
        var = self.covariance(Xte, Tte, Xte, Tte).diagonal() - (Ks * v.t()).sum(1)
        return mean, var


def field(x, t):
    return torch.sin(3 * x[:, :1]) * torch.cos(2 * x[:, 1:2]) * torch.cos(t)


X = torch.rand(60, 2) * 2
T = torch.rand(60, 1) * 3
Y = field(X, T) + 0.1 * torch.randn(60, 1)
Xte, Tte = torch.rand(40, 2) * 2, torch.rand(40, 1) * 3

model = STGP(X, T, Y)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for i in range(60):
    optimizer.zero_grad()
    loss = model.negative_log_likelihood()
    loss.backward()
    optimizer.step()
    if i % 15 == 0:
        print(f"iter {i:3d}  nll {loss.item():.4f}  noise {model.noise_variance.item():.4f}")

with torch.no_grad():
    mean, var = model(Xte, Tte)
    rmse = (mean - field(Xte, Tte)).pow(2).mean().sqrt().item()
print(f"test rmse {rmse:.4f}  mean predictive std {var.clamp(min=0).sqrt().mean().item():.4f}")
