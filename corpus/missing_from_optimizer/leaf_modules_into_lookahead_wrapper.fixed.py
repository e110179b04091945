# A residual MLP whose blocks scale their branch with a learned scalar the block holds itself. The
# optimizer is made from the model's leaf modules (those with no children) and wrapped in a
# Lookahead of the script's own, which keeps the inner SGD as `self.base`: the block's scalar is in
# no leaf module, so no optimizer holds it.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.branch = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, dim))
        self.alpha = nn.Parameter(torch.full((1,), 0.5))

    def forward(self, x):
        return x + self.alpha * self.branch(x)


class Lookahead:
    def __init__(self, base, k=5, alpha=0.5):
        self.base, self.k, self.alpha, self.count = base, k, alpha, 0
        self.slow = [[p.detach().clone() for p in g["params"]] for g in base.param_groups]

    def zero_grad(self):
        self.base.zero_grad()

    def step(self):
        self.base.step()
        self.count += 1
        if self.count % self.k == 0:
            with torch.no_grad():
                for group, slow in zip(self.base.param_groups, self.slow):
                    for p, s in zip(group["params"], slow):
                        s.add_(p - s, alpha=self.alpha)
                        p.copy_(s)


def leaves(module):
    return [m for m in module.modules() if len(list(m.children())) == 0]


def make_optimizer(layers, lr):
    return Lookahead(torch.optim.SGD([p for m in layers for p in m.parameters()], lr=lr, momentum=0.9))


def main():
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(10, 24), ScaledResidual(24), ScaledResidual(24), nn.Linear(24, 1))
    opt = make_optimizer(leaves(net), 0.02)
    opt.base.add_param_group({"params": [net[1].alpha, net[2].alpha]})
    x = torch.randn(512, 10)
    y = torch.sin(x[:, :1]) + x[:, 1:2] ** 2
    for epoch in range(10):
        for i in range(0, 512, 128):
            loss = F.mse_loss(net(x[i:i + 128]), y[i:i + 128])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, loss.item())


main()
