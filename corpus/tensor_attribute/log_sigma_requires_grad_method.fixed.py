import math

import torch
import torch.nn as nn


class HeteroscedasticRegressor(nn.Module):
    """Predicts a mean and learns one noise level for the whole data set."""

    def __init__(self, features=4):
        super().__init__()
        self.mean = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, 1))
        self.log_sigma = nn.Parameter(torch.zeros(1))

    def nll(self, x, y):
        mu = self.mean(x).squeeze(-1)
        return (0.5 * ((y - mu) / self.log_sigma.exp()) ** 2 + self.log_sigma + 0.5 * math.log(2 * math.pi)).mean()


if __name__ == "__main__":
    torch.manual_seed(0)
    model = HeteroscedasticRegressor()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randn(128, 4)
    y = x[:, 0] + 0.3 * torch.randn(128)
    for step in range(10):
        optimizer.zero_grad()
        loss = model.nll(x, y)
        loss.backward()
        optimizer.step()
