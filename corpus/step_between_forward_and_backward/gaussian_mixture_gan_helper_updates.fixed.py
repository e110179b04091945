"""GAN on a ring of 2-D gaussians; each network is updated by a small helper."""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
LATENT = 4


def sample_ring(n, modes=8, radius=2.0):
    k = torch.randint(0, modes, (n,)).float()
    angle = 2 * math.pi * k / modes
    centres = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1)
    return centres + 0.05 * torch.randn(n, 2)


def update(optimizer, loss, retain=False):
    optimizer.zero_grad()
    loss.backward(retain_graph=retain)
    optimizer.step()


gen = nn.Sequential(nn.Linear(LATENT, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
disc = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
opt_g = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.9))
bce = nn.BCEWithLogitsLoss()

for it in range(200):
    real = sample_ring(128)
    fake = gen(torch.randn(128, LATENT))
    ones, zeros = torch.ones(128, 1), torch.zeros(128, 1)

    logits_fake = disc(fake)
    d_loss = bce(disc(real), ones) + bce(logits_fake, zeros)

    update(opt_d, d_loss, retain=True)
    logits_fake = disc(fake)
    g_loss = bce(logits_fake, ones)
    update(opt_g, g_loss)

    if it % 50 == 0:
        print(f"it {it:3d}  d {d_loss.item():.3f}  g {g_loss.item():.3f}")
