# A non-saturating GAN learning a ring of eight 2-D Gaussians, with an R1 penalty on real data.
# The discriminator can be given each sample's mode as a one-hot label (off in this run), and the
# penalty code, shared with the conditional variant, asks for the gradient with respect to both
# the points and the labels, keeps what comes back for the inputs the discriminator read and
# skips the ones it did not.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MODES = 8


class Discriminator(nn.Module):
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
    return points, F.one_hot(modes, MODES).float()


def r1_penalty(disc, points, labels):
    points, labels = points.requires_grad_(True), labels.requires_grad_(True)
    scores = disc(points, labels)
    grads = torch.autograd.grad(scores.sum(), [points, labels], create_graph=True, allow_unused=True)
    return sum(g.pow(2).sum(1).mean() for g in grads if g is not None)


torch.manual_seed(0)
generator = nn.Sequential(nn.Linear(16 + MODES, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
disc = Discriminator()
g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.99))
d_opt = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.99))

for step in range(300):
    real, labels = real_batch(128)
    fake = generator(torch.cat([torch.randn(128, 16), labels], dim=1))
    d_loss = F.softplus(disc(fake.detach(), labels)).mean() + F.softplus(-disc(real, labels)).mean()
    d_loss = d_loss + 5.0 * r1_penalty(disc, real, labels)
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    g_loss = F.softplus(-disc(fake, labels)).mean()
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    if step % 100 == 0:
        print(f"step {step}: d loss {d_loss.item():.3f} g loss {g_loss.item():.3f}")
