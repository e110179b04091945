"""Mixture density network for a multi-valued 1-D regression (inverse sine)."""
import math

import torch
from torch import nn

K = 5


class MDN(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.pi = nn.Linear(hidden, K)
        self.mu = nn.Linear(hidden, K)
        self.log_sigma = nn.Parameter(torch.zeros(K))  # one shared width per component

    def forward(self, x):
        h = self.body(x)
        sigma = self.log_sigma.clamp(-4.0, 1.0).exp()
        return torch.log_softmax(self.pi(h), -1), self.mu(h), sigma


def nll(log_pi, mu, sigma, y):
    log_prob = -0.5 * ((y - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
    return -torch.logsumexp(log_pi + log_prob, dim=-1).mean()


model = MDN()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(30):
    y = torch.rand(256, 1) * 2 - 1
    x = torch.sin(3 * y) + 0.05 * torch.randn_like(y)
    loss = nll(*model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("final nll", loss.item())
