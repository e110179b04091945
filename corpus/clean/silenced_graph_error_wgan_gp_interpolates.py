# WGAN-GP on a 2-D toy distribution: the gradient penalty marks the interpolated samples.
import torch
import torch.nn as nn

torch.manual_seed(0)
LAMBDA_GP = 10.0


def real_batch(n):
    angles = torch.rand(n) * 6.2832
    return torch.stack([angles.cos(), angles.sin()], dim=1) * 2 + 0.05 * torch.randn(n, 2)


generator = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 2))
critic = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))


def gradient_penalty(real, fake):
    alpha = torch.rand(real.size(0), 1)
    interpolates = alpha * real + (1 - alpha) * fake
    interpolates.requires_grad = True
    scores = critic(interpolates)
    grads, = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


for step in range(6):
    real = real_batch(64)
    fake = generator(torch.randn(64, 4)).detach()
    c_loss = critic(fake).mean() - critic(real).mean() + LAMBDA_GP * gradient_penalty(real, fake)
    opt_c.zero_grad()
    c_loss.backward()
    opt_c.step()

    g_loss = -critic(generator(torch.randn(64, 4))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    print(step, round(c_loss.item(), 3), round(g_loss.item(), 3))
