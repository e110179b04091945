"""GAN on a ring of 2-D gaussians, written as two functions: one builds the losses, one applies them."""
import math

import torch
from torch import nn

torch.manual_seed(0)
LATENT = 4

gen = nn.Sequential(nn.Linear(LATENT, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
disc = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
g_optim = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
d_optim = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()


def sample_ring(n, modes=8, radius=2.0):
    angle = 2 * math.pi * torch.randint(0, modes, (n,)).float() / modes
    return radius * torch.stack([angle.cos(), angle.sin()], 1) + 0.05 * torch.randn(n, 2)


def gan_losses(real):
    n = real.size(0)
    fake = gen(torch.randn(n, LATENT))
    real_logits, fake_logits = disc(real), disc(fake.detach())
    d_loss = criterion(real_logits, torch.ones(n, 1)) + criterion(fake_logits, torch.zeros(n, 1))
    g_loss = criterion(disc(fake), torch.ones(n, 1))
    return d_loss, g_loss


def apply_losses(loss_d, loss_g):
    d_optim.zero_grad(); loss_d.backward(); d_optim.step()
    g_optim.zero_grad(); loss_g.backward(); g_optim.step()


for it in range(300):
    d_loss, g_loss = gan_losses(sample_ring(128))
    apply_losses(loss_g=g_loss, loss_d=d_loss)
    if it % 100 == 0:
        print(f"it {it}: d {d_loss.item():.3f} g {g_loss.item():.3f}")
