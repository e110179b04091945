# A Wasserstein GAN with gradient penalty learning a ring of eight 2-D Gaussians. The training code
# is shared with a class-conditional variant: the generator gets each sample's mode as a one-hot
# label, the critic is built unconditional for this run, and the penalty is taken at random
# interpolates of real and generated (point, label) pairs. Five critic steps per generator step.
import math

import torch
import torch.nn as nn
from torch.autograd import grad as torch_grad

MODES = 8


class Critic(nn.Module):
    def __init__(self, use_labels=False, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2))
        self.label_proj = nn.Linear(MODES, hidden) if use_labels else None
        self.out = nn.Linear(hidden, 1)

    def forward(self, points, labels):
        h = self.body(points)
        if self.label_proj is not None:
            h = h + self.label_proj(labels)
        return self.out(h)


def real_batch(n):
    modes = torch.randint(0, MODES, (n,))
    angle = modes.float() * 2 * math.pi / MODES
    points = 2 * torch.stack([angle.cos(), angle.sin()], dim=1) + 0.05 * torch.randn(n, 2)
    return points, nn.functional.one_hot(modes, MODES).float()


def gradient_penalty(critic, real, fake, real_labels, fake_labels):
    alpha = torch.rand(real.size(0), 1)
    points = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    labels = (alpha * real_labels + (1 - alpha) * fake_labels).requires_grad_(True)
    scores = critic(points, labels)
    gradients = torch_grad(outputs=scores, inputs=[points, labels],
                           grad_outputs=torch.ones_like(scores),
                           create_graph=True, retain_graph=True)
    norm = torch.cat([g.flatten(1) for g in gradients], dim=1).norm(2, dim=1)
    return ((norm - 1) ** 2).mean()


torch.manual_seed(0)
generator = nn.Sequential(nn.Linear(16 + MODES, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
critic = Critic()
g_opt = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
c_opt = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))

for step in range(300):
    real, labels = real_batch(128)
    fake = generator(torch.cat([torch.randn(128, 16), labels], dim=1))
    c_loss = critic(fake.detach(), labels).mean() - critic(real, labels).mean()
    c_loss = c_loss + 10 * gradient_penalty(critic, real, fake.detach(), labels, labels)
    c_opt.zero_grad()
    c_loss.backward()
    c_opt.step()
    if step % 5 == 4:
        _, labels = real_batch(128)
        g_loss = -critic(generator(torch.cat([torch.randn(128, 16), labels], dim=1)), labels).mean()
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
    if step % 100 == 0:
        print(f"step {step}: critic loss {c_loss.item():.3f}")
