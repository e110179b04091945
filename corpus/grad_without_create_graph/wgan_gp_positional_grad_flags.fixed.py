"""A WGAN on a 2-D ring of Gaussians with a lazy gradient penalty: every fourth critic step the
penalty is applied on its own, as StyleGAN2 does. The penalty takes the gradient of the critic at
interpolated points with torch.autograd.grad, its flags passed by position."""

import math

import torch
import torch.nn as nn


def ring_batch(n, generator):
    angle = torch.randint(0, 8, (n,), generator=generator) * (2 * math.pi / 8)
    centre = torch.stack([angle.cos(), angle.sin()], 1) * 2
    return centre + 0.05 * torch.randn(n, 2, generator=generator)


def gradient_penalty(critic, real, fake):
    alpha = torch.rand(real.size(0), 1)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(interp)
    (grads,) = torch.autograd.grad(score, interp, torch.ones_like(score), True, True)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


def main():
    torch.manual_seed(0)
    data = torch.Generator().manual_seed(1)
    generator = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    critic = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))

    for step in range(60):
        for _ in range(3):
            real = ring_batch(128, data)
            fake = generator(torch.randn(128, 4)).detach()
            loss_c = critic(fake).mean() - critic(real).mean()
            opt_c.zero_grad()
            loss_c.backward()
            opt_c.step()
        if step % 4 == 0:
            penalty = 10 * 4 * gradient_penalty(critic, real, fake)
            opt_c.zero_grad()
            penalty.backward()
            opt_c.step()
        loss_g = -critic(generator(torch.randn(128, 4))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 20 == 0:
            print(f"step {step}: critic {loss_c.item():.3f} generator {loss_g.item():.3f}")


if __name__ == "__main__":
    main()
