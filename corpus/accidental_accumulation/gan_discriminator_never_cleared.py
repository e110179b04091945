"""A small GAN on a 2-D Gaussian mixture: the generator clears its gradients, the discriminator
never does."""
import math

import torch
import torch.nn as nn
import torch.optim as optim


def sample_real(n):
    angles = torch.randint(0, 8, (n,)).float() * (2 * math.pi / 8)
    centers = torch.stack([angles.cos(), angles.sin()], dim=1) * 2.0
    return centers + 0.05 * torch.randn(n, 2)


def main():
    torch.manual_seed(21)
    latent = 6
    generator = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, 2))
    discriminator = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
    g_optim = optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    d_optim = optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    loss_fn = nn.BCEWithLogitsLoss()

    for step in range(200):
        real = sample_real(64)
        fake = generator(torch.randn(64, latent))

        real_logits = discriminator(real)
        fake_logits = discriminator(fake.detach())
        d_loss = loss_fn(real_logits, torch.ones_like(real_logits)) + loss_fn(fake_logits, torch.zeros_like(fake_logits))
        d_loss.backward()
        d_optim.step()

        g_optim.zero_grad()
        g_logits = discriminator(fake)
        g_loss = loss_fn(g_logits, torch.ones_like(g_logits))
        g_loss.backward()
        g_optim.step()

        if step % 50 == 0:
            print(f"step {step}: d_loss {d_loss.item():.3f} g_loss {g_loss.item():.3f}")


if __name__ == "__main__":
    main()
