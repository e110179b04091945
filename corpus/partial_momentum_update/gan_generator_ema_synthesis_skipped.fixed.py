"""A small style-based GAN on 2-D rings; samples are drawn from an EMA of the generator."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self, z_dim=8, w_dim=16):
        super().__init__()
        self.mapping = nn.Sequential(nn.Linear(z_dim, w_dim), nn.LeakyReLU(0.2), nn.Linear(w_dim, w_dim))
        self.synthesis = nn.Sequential(nn.Linear(w_dim, 32), nn.LeakyReLU(0.2), nn.Linear(32, 2))

    def forward(self, z):
        return self.synthesis(self.mapping(z))


def real_batch(n):
    angle = torch.randint(0, 8, (n,)).float() * (2 * 3.14159 / 8)
    return torch.stack([angle.cos(), angle.sin()], 1) * 2 + 0.05 * torch.randn(n, 2)


class Trainer:
    def __init__(self, ema_beta=0.999):
        self.G = Generator()
        self.D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
        self.G_ema = copy.deepcopy(self.G).eval()
        self.ema_beta = ema_beta
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.99))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.99))

    @torch.no_grad()
    def accumulate(self):
        for p_ema, p in zip(
            list(self.G_ema.mapping.parameters()) + list(self.G_ema.synthesis.parameters()),
            list(self.G.mapping.parameters()) + list(self.G.synthesis.parameters()),
        ):
            p_ema.copy_(p.lerp(p_ema, self.ema_beta))

    def step(self, n=64):
        z = torch.randn(n, 8)
        fake = self.G(z)
        d_loss = F.softplus(self.D(fake.detach())).mean() + F.softplus(-self.D(real_batch(n))).mean()
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        g_loss = F.softplus(-self.D(fake)).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        self.accumulate()
        return d_loss.item(), g_loss.item()


torch.manual_seed(0)
trainer = Trainer()
for it in range(300):
    d_loss, g_loss = trainer.step()
    if it % 100 == 0:
        print(f"{it}: D {d_loss:.3f} G {g_loss:.3f}")
with torch.no_grad():
    samples = trainer.G_ema(torch.randn(512, 8))
print("sample radius", samples.norm(dim=1).mean().item())
