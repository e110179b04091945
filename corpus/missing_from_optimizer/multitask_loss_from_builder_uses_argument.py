"""Multi-task regression with uncertainty weighting: a builder makes the loss module and hands
it, with the optimizer it was given, to a Trainer whose step lives elsewhere."""
import torch
import torch.nn as nn


class UncertaintyWeighting(nn.Module):
    """Kendall et al.: one learned log-variance per task."""

    def __init__(self, tasks):
        super().__init__()
        self.log_vars = nn.Parameter(torch.zeros(tasks))

    def forward(self, losses):
        precision = torch.exp(-self.log_vars)
        return (precision * losses + self.log_vars).sum()


class SharedTrunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(12, 32), nn.Tanh())
        self.depth = nn.Linear(32, 1)
        self.normals = nn.Linear(32, 3)

    def forward(self, x):
        h = self.trunk(x)
        return self.depth(h), self.normals(h)


class Trainer:
    def __init__(self, net, weighting, opt):
        self.net, self.weighting, self.opt = net, weighting, opt

    def fit(self, x, depth, normals, epochs=3):
        for epoch in range(epochs):
            for i in range(0, len(x), 16):
                d, n = self.net(x[i:i + 16])
                losses = torch.stack([
                    nn.functional.mse_loss(d, depth[i:i + 16]),
                    nn.functional.mse_loss(n, normals[i:i + 16]),
                ])
                loss = self.weighting(losses)
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            print(epoch, loss.item())


def build_trainer(net, optimizer, tasks=2):
    weighting = UncertaintyWeighting(tasks)
    return Trainer(net, weighting, optimizer)


torch.manual_seed(0)
net = SharedTrunk()
trainer = build_trainer(net, torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9))
x = torch.randn(64, 12)
trainer.fit(x, x[:, :1] * 2, x[:, 1:4].tanh())
