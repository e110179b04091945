"""Tabular regressor with a hand-written leaky activation."""
import numpy
import torch
from torch import nn, optim


class Leaky(nn.Module):
    def __init__(self, slope=0.05):
        super().__init__()
        self.slope = slope

    def forward(self, x):
        return torch.where(x > 0, x, self.slope * x)


class Regressor(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), Leaky(), nn.Linear(32, 16), Leaky())
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


def main():
    torch.manual_seed(3)
    X = torch.randn(400, 8)
    y = X @ torch.linspace(-1, 1, 8) + 0.1 * torch.randn(400)
    net = Regressor(8)
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.MSELoss()
    for step in range(200):
        idx = torch.randint(0, 400, (32,))
        opt.zero_grad()
        loss = loss_fn(net(X[idx]), y[idx])
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(step, float(loss))


if __name__ == "__main__":
    main()
