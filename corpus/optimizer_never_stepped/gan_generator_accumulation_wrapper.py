"""A small conditional GAN on 2-D mixtures of Gaussians. The generator's optimizer is wrapped to
accumulate gradients over several discriminator rounds (large effective batches for G, as
BigGAN does); the discriminator is stepped every batch."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class AccumulatingOptimizer:
    """Steps the wrapped optimizer once every `accumulation` calls of step()."""

    def __init__(self, optimizer, accumulation=1):
        self.optimizer = optimizer
        self.accumulation = accumulation
        self.calls = 0

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def zero_grad(self):
        if self.calls % self.accumulation == 0 and self.accumulation != 1:
            self.optimizer.zero_grad(set_to_none=True)

    def step(self):
        self.calls += 1
        if self.calls % self.accumulation == 0 and self.accumulation != 1:
            self.optimizer.step()


def mixture(n, classes=4):
    labels = torch.randint(0, classes, (n,))
    angles = labels.float() * (2 * math.pi / classes)
    centres = torch.stack([torch.cos(angles), torch.sin(angles)], 1) * 2
    return centres + 0.1 * torch.randn(n, 2), labels


class Generator(nn.Module):
    def __init__(self, noise=4, classes=4):
        super().__init__()
        self.embed = nn.Embedding(classes, 8)
        self.body = nn.Sequential(nn.Linear(noise + 8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, z, labels):
        return self.body(torch.cat([z, self.embed(labels)], 1))


class Discriminator(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.embed = nn.Embedding(classes, 8)
        self.body = nn.Sequential(nn.Linear(2 + 8, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))

    def forward(self, x, labels):
        return self.body(torch.cat([x, self.embed(labels)], 1)).squeeze(1)


torch.manual_seed(0)
G, D = Generator(), Discriminator()
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_g = AccumulatingOptimizer(torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)), accumulation=1)

for it in range(400):
    real, labels = mixture(128)
    fake = G(torch.randn(128, 4), labels)

    opt_d.zero_grad()
    d_loss = F.softplus(-D(real, labels)).mean() + F.softplus(D(fake.detach(), labels)).mean()
    d_loss.backward()
    opt_d.step()

    opt_g.zero_grad()
    g_loss = F.softplus(-D(fake, labels)).mean()
    g_loss.backward()
    opt_g.step()

    if it % 100 == 0:
        print(f"it {it}: d {d_loss.item():.3f} g {g_loss.item():.3f}")
