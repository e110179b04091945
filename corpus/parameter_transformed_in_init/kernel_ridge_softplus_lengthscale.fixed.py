"""Kernel ridge regression with learned hyper-parameters: an RBF kernel whose length scales are kept
positive by a softplus, fitted by gradient descent on the held-out error of each minibatch."""
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class RBFKernelRidge(nn.Module):
    def __init__(self, n_features, ridge=1e-2):
        super().__init__()
        self.ridge = ridge
        self.raw_lengthscale = nn.Parameter(torch.zeros(n_features))
        self.amplitude = nn.Parameter(torch.tensor(1.0))

    @property
    def lengthscale(self):
        return F.softplus(self.raw_lengthscale)

    def kernel(self, a, b):
        d = (a[:, None, :] - b[None, :, :]) / self.lengthscale
        return self.amplitude ** 2 * torch.exp(-0.5 * d.pow(2).sum(-1))

    def forward(self, x_train, y_train, x_query):
        K = self.kernel(x_train, x_train) + self.ridge * torch.eye(len(x_train))
        alpha = torch.linalg.solve(K, y_train)
        return self.kernel(x_query, x_train) @ alpha


def target(x):
    return torch.sin(2 * x[:, :1]) + 0.3 * x[:, 1:2]


X = torch.rand(256, 3) * 4 - 2
Y = target(X) + 0.05 * torch.randn(256, 1)
model = RBFKernelRidge(3)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

for step in range(40):
    perm = torch.randperm(256)
    fit, held = perm[:96], perm[96:160]
    prediction = model(X[fit], Y[fit], X[held])
    loss = F.mse_loss(prediction, Y[held])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}  held-out mse {loss.item():.4f}")
