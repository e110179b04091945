"""A small GAN whose generator uses weight normalisation with `dim=None` (one norm for the whole
tensor), with an exponential moving average of the generator for sampling, made by deepcopy."""
from copy import deepcopy

import torch
import torch.nn as nn

torch.manual_seed(0)
Z = 16


def wn(layer):
    return nn.utils.parametrizations.weight_norm(layer, name="weight", dim=None)


G = nn.Sequential(wn(nn.Linear(Z, 64)), nn.ReLU(), wn(nn.Linear(64, 2)))
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
G_ema = deepcopy(G).eval()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

for it in range(300):
    real = torch.randn(64, 2) * 0.5 + 2.0
    fake = G(torch.randn(64, Z))
    d_loss = bce(D(real), torch.ones(64, 1)) + bce(D(fake.detach()), torch.zeros(64, 1))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = bce(D(fake), torch.ones(64, 1))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    with torch.no_grad():
        for e, p in zip(G_ema.parameters(), G.parameters()):
            e.lerp_(p, 0.01)
