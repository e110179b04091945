"""Heteroscedastic regression: the network predicts a mean and a log-variance per target."""
import math

import torch as T
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

T.manual_seed(1)


def gaussian_nll(mean, log_var, target):
    var = log_var.exp()
    var.clamp_(min=1e-4)  # keep the variance away from zero
    return 0.5 * (T.log(2 * math.pi * var) + (target - mean) ** 2 / var).mean()


class MeanVarNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU())
        self.mean = nn.Linear(32, 2)
        self.log_var = nn.Linear(32, 2)

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), self.log_var(h)


xs = T.randn(256, 4)
ys = T.stack([xs[:, 0] * 2.0, xs[:, 1] - xs[:, 2]], dim=1) + 0.1 * T.randn(256, 2)
loader = DataLoader(TensorDataset(xs, ys), batch_size=32, shuffle=True)

net = MeanVarNet()
opt = T.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(3):
    for xb, yb in loader:
        mean, log_var = net(xb)
        loss = gaussian_nll(mean, log_var, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item())
