"""A small GAN on a 2-D mixture of Gaussians with the non-saturating loss and a lazy R1
regulariser, as in StyleGAN2: every few discriminator steps, the squared norm of the
discriminator's gradient at real samples is penalised, in a backward pass of its own."""
import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
R1_GAMMA, REG_EVERY = 1.0, 4


def real_batch(n):
    angle = torch.randint(0, 6, (n,)) * (2 * math.pi / 6)
    return torch.stack([angle.cos(), angle.sin()], dim=1) * 1.5 + 0.05 * torch.randn(n, 2)


generator = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
discriminator = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                              nn.Linear(64, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.99))
opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.99))

for it in range(250):
    real = real_batch(128)
    fake = generator(torch.randn(128, 4))
    d_loss = F.softplus(discriminator(fake.detach())).mean() + F.softplus(-discriminator(real)).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    if it % REG_EVERY == 0:
        real.requires_grad_(True)
        real_pred = discriminator(real)
        (grad_real,) = torch.autograd.grad(real_pred.sum(), real, retain_graph=True)
        r1 = grad_real.pow(2).sum(dim=1).mean()
        opt_d.zero_grad()
        (R1_GAMMA / 2 * r1 * REG_EVERY).backward()
        opt_d.step()

    g_loss = F.softplus(-discriminator(fake)).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    if it % 100 == 0:
        print(f"iter {it}: d {d_loss.item():.3f} g {g_loss.item():.3f}")
