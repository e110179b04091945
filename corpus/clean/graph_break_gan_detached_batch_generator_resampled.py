"""A GAN whose discriminator sees one detached generated batch per iteration, reused across its
updates; the generator's update draws a fresh batch through the generator, so it is reached there."""
import torch
from torch import nn

torch.manual_seed(0)
G = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
D = nn.Sequential(nn.Linear(3, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
g_opt = torch.optim.Adam(G.parameters(), lr=1e-3)
d_opt = torch.optim.Adam(D.parameters(), lr=1e-3)
loss_fn = nn.BCEWithLogitsLoss()


def data(n=32):
    return torch.randn(n, 3) * 0.5 + 1.0


for it in range(60):
    real = data()
    fake = G(torch.randn(real.size(0), 5)).detach()
    for _ in range(2):
        d_opt.zero_grad()
        d_loss = loss_fn(D(real), torch.ones(real.size(0), 1)) + loss_fn(D(fake), torch.zeros(real.size(0), 1))
        d_loss.backward()
        d_opt.step()

    g_opt.zero_grad()
    fresh = G(torch.randn(real.size(0), 5))
    g_loss = loss_fn(D(fresh), torch.ones(real.size(0), 1))
    g_loss.backward()
    g_opt.step()
