"""A WGAN-GP on 2-D points whose critic is trained in a helper, `update_critic`, given the critic's
optimizer. The helper zeroes the critic's gradients and back-propagates its loss but never applies
them: the generator trains against a critic that stays at its random initialisation."""
import torch
import torch.nn as nn

torch.manual_seed(0)


def sample_real(n):
    angle = torch.rand(n) * 6.2832
    return torch.stack([angle.cos(), angle.sin()], 1) + 0.05 * torch.randn(n, 2)


def gradient_penalty(critic, real, fake):
    mix = torch.rand(real.shape[0], 1)
    points = (mix * real + (1 - mix) * fake).requires_grad_(True)
    grads, = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return ((grads.norm(dim=1) - 1) ** 2).mean()


def update_critic(critic, generator, critic_opt, real):
    fake = generator(torch.randn(real.shape[0], 8)).detach()
    critic_opt.zero_grad()
    loss = critic(fake).mean() - critic(real).mean() + 10 * gradient_penalty(critic, real, fake)
    loss.backward()
    return loss.item()


generator = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
critic = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1, bias=False))  # a bias cancels out of the critic loss
gen_opt = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))

for it in range(30):
    for _ in range(3):
        critic_loss = update_critic(critic, generator, critic_opt, sample_real(64))
    gen_opt.zero_grad()
    gen_loss = -critic(generator(torch.randn(64, 8))).mean()
    gen_loss.backward()
    gen_opt.step()
print(f"critic {critic_loss:.3f} generator {gen_loss.item():.3f}")
