"""WGAN-GP for synthetic tabular records (six numeric columns of a customer table). The critic
embeds a record and scores it by its kernel similarity to a set of learned anchor embeddings;
the gradient penalty is taken on interpolates between real and generated records."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GanConfig:
    n_features: int = 6
    latent_dim: int = 8
    embed_dim: int = 16
    n_anchors: int = 12
    batch_size: int = 16
    critic_steps: int = 5
    gp_weight: float = 10.0
    lr: float = 1e-4
    iterations: int = 80
    seed: int = 3


def customer_table(n, generator):
    age = torch.rand(n, 1, generator=generator) * 50 + 20
    income = age * 1.2 + torch.randn(n, 1, generator=generator) * 8
    tenure = (age - 18) * torch.rand(n, 1, generator=generator)
    spend = income * 0.3 + torch.randn(n, 1, generator=generator) * 3
    visits = torch.poisson(spend.clamp(min=0.0) / 5, generator=generator)
    churn_risk = torch.sigmoid((20 - tenure) / 5)
    table = torch.cat([age, income, tenure, spend, visits, churn_risk], dim=1)
    return (table - table.mean(0)) / table.std(0)


class Generator(nn.Module):
    def __init__(self, cfg: GanConfig):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(cfg.latent_dim, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, cfg.n_features),
        )

    def forward(self, z):
        return self.body(z)


class AnchorCritic(nn.Module):
    def __init__(self, cfg: GanConfig):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(cfg.n_features, 64), nn.Softplus(), nn.Linear(64, cfg.embed_dim))
        self.anchors = nn.Parameter(torch.randn(cfg.n_anchors, cfg.embed_dim))
        self.readout = nn.Linear(cfg.n_anchors, 1)

    def forward(self, x):
        h = self.embed(x)
        dist = torch.cdist(h, self.anchors, p=2.0, compute_mode="use_mm_for_euclid_dist")
        return self.readout(torch.exp(-dist)).squeeze(1)


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    scores = critic(mixed)
    (g,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return (g.norm(2, dim=1) - 1).pow(2).mean()


def run(cfg: GanConfig) -> None:
    torch.manual_seed(cfg.seed)
    rng = torch.Generator().manual_seed(cfg.seed)
    data = customer_table(4096, rng)

    G, D = Generator(cfg), AnchorCritic(cfg)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(0.5, 0.9))

    for it in range(cfg.iterations):
        for _ in range(cfg.critic_steps):
            real = data[torch.randint(0, len(data), (cfg.batch_size,), generator=rng)]
            fake = G(torch.randn(cfg.batch_size, cfg.latent_dim)).detach()
            d_loss = D(fake).mean() - D(real).mean() + cfg.gp_weight * gradient_penalty(D, real, fake)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()

        fake = G(torch.randn(cfg.batch_size, cfg.latent_dim))
        g_loss = -D(fake).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

        if it % 20 == 0:
            with torch.no_grad():
                sample = G(torch.randn(512, cfg.latent_dim))
                gap = F.l1_loss(sample.mean(0), data.mean(0)).item()
            print(f"it {it:3d}  d_loss {d_loss.item():+.4f}  g_loss {g_loss.item():+.4f}  mean gap {gap:.3f}")


if __name__ == "__main__":
    run(GanConfig())
