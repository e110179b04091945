"""A GAN on a 1-D bimodal distribution whose discriminator is updated once every D_EVERY
generator steps (a slow critic keeps the generator from collapsing early). Both optimizers step;
the discriminator's just less often."""
import torch
import torch.nn as nn
import torch.nn.functional as F

D_EVERY = 4
torch.manual_seed(0)


def sample_real(n):
    modes = torch.randint(0, 2, (n, 1)).float() * 4 - 2
    return modes + 0.3 * torch.randn(n, 1)


generator = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
discriminator = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
g_opt = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
d_opt = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.9))


def train(steps):
    for step in range(steps):
        real = sample_real(256)
        fake = generator(torch.randn(256, 2))

        if D_EVERY > 0 and step % D_EVERY == 0:
            d_opt.zero_grad()
            d_loss = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake.detach())).mean()
            d_loss.backward()
            d_opt.step()

        g_opt.zero_grad()
        g_loss = F.softplus(-discriminator(fake)).mean()
        g_loss.backward()
        g_opt.step()
        if step % 200 == 0:
            print(f"step {step}: g_loss {g_loss.item():.3f}")


train(1000)
