# Glow-style flow on 2-D toy data. ActNorm initialises its shift and log-scale from the first
# batch it sees, by creating them there; the optimizer had been built from the coupling layers.
import math

import torch
from torch import nn
from torch.utils.data import DataLoader


class ActNorm(nn.Module):
    def forward(self, x):
        if not hasattr(self, "loc"):
            with torch.no_grad():
                mean, std = x.mean(0), x.std(0) + 1e-6
            self.loc = nn.Parameter(-mean)
            self.log_scale = nn.Parameter(-std.log())
        y = (x + self.loc) * self.log_scale.exp()
        return y, self.log_scale.sum().expand(x.shape[0])


class Coupling(nn.Module):
    def __init__(self, dim, flip):
        super().__init__()
        self.flip = flip
        self.net = nn.Sequential(nn.Linear(dim // 2, 32), nn.Tanh(), nn.Linear(32, dim))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        if self.flip:
            a, b = b, a
        shift, log_s = self.net(a).chunk(2, dim=1)
        log_s = torch.tanh(log_s)
        b = b * log_s.exp() + shift
        out = torch.cat([b, a] if self.flip else [a, b], dim=1)
        return out, log_s.sum(1)


class Flow(nn.Module):
    def __init__(self, dim=2, depth=4):
        super().__init__()
        self.layers = nn.ModuleList()
        for i in range(depth):
            self.layers.append(ActNorm())
            self.layers.append(Coupling(dim, flip=i % 2 == 1))

    def forward(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det


def nll(z, log_det):
    log_pz = -0.5 * (z ** 2).sum(1) - z.shape[1] * 0.5 * math.log(2 * math.pi)
    return -(log_pz + log_det).mean()


torch.manual_seed(1)
angle = torch.rand(1024) * 2 * math.pi
points = torch.stack([3 * angle.cos(), 3 * angle.sin()], 1) + 0.3 * torch.randn(1024, 2) + 5.0
loader = DataLoader(points, batch_size=128, shuffle=True)

flow = Flow()
with torch.no_grad():
    flow(next(iter(loader)))
opt = torch.optim.Adam(flow.parameters(), lr=3e-3)
for epoch in range(4):
    for step, batch in enumerate(loader):
        z, log_det = flow(batch)
        loss = nll(z, log_det)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 3))
