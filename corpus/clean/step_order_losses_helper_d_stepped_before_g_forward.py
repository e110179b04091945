"""GAN on a 2-D moons-like curve: the loss helper updates the discriminator as soon as its loss
is built, then runs the generator's forward through the updated discriminator; a second helper
applies the generator loss."""
import math

import torch
from torch import nn

torch.manual_seed(0)
LATENT = 3

gen = nn.Sequential(nn.Linear(LATENT, 48), nn.ReLU(), nn.Linear(48, 2))
disc = nn.Sequential(nn.Linear(2, 48), nn.LeakyReLU(0.2), nn.Linear(48, 48), nn.LeakyReLU(0.2), nn.Linear(48, 1))
g_optim = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
d_optim = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()


def sample_curve(n):
    t = torch.rand(n) * math.pi
    return torch.stack([t.cos(), t.sin() - 0.5], 1) + 0.05 * torch.randn(n, 2)


def gan_losses(real):
    n = real.size(0)
    fake = gen(torch.randn(n, LATENT))
    d_loss = criterion(disc(real), torch.ones(n, 1)) + criterion(disc(fake.detach()), torch.zeros(n, 1))
    d_optim.zero_grad()
    d_loss.backward()
    d_optim.step()
    g_loss = criterion(disc(fake), torch.ones(n, 1))
    return d_loss, g_loss


def apply_generator_loss(g_loss):
    g_optim.zero_grad()
    g_loss.backward()
    g_optim.step()


for it in range(200):
    d_loss, g_loss = gan_losses(sample_curve(128))
    apply_generator_loss(g_loss)
    if it % 50 == 0:
        print(f"it {it}: d {d_loss.item():.3f} g {g_loss.item():.3f}")
