"""BYOL: the target network is an EMA of the whole online network (encoder and projector); the
predictor exists only on the online side and has no twin to follow."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def projection(d_in, d_out=32, hidden=64):
    return nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class BYOL(nn.Module):
    def __init__(self, beta=0.99):
        super().__init__()
        self.beta = beta
        self.online = nn.ModuleDict({"encoder": nn.Sequential(nn.Linear(16, 48), nn.ReLU()), "projector": projection(48)})
        self.predictor = projection(32)
        self.target = copy.deepcopy(self.online)
        for p in self.target.parameters():
            p.requires_grad = False

    def embed(self, net, x):
        return net["projector"](net["encoder"](x))

    def forward(self, a, b):
        p_a, p_b = self.predictor(self.embed(self.online, a)), self.predictor(self.embed(self.online, b))
        with torch.no_grad():
            z_a, z_b = self.embed(self.target, a), self.embed(self.target, b)
        return -(F.cosine_similarity(p_a, z_b).mean() + F.cosine_similarity(p_b, z_a).mean())

    @torch.no_grad()
    def update_moving_average(self):
        for online_p, target_p in zip(self.online.parameters(), self.target.parameters()):
            target_p.data = self.beta * target_p.data + (1 - self.beta) * online_p.data


torch.manual_seed(0)
model = BYOL()
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
samples = torch.randn(384, 16)
for epoch in range(3):
    for i in range(0, 384, 48):
        x = samples[i:i + 48]
        loss = model(x + 0.1 * torch.randn_like(x), x * (torch.rand_like(x) > 0.2))
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.update_moving_average()
    print(epoch, loss.item())
