"""WGAN-GP on a mixture of 2-D Gaussians, with a config whose `compile` flag compiles the
critic. The gradient penalty is a loss on the critic's input gradient, taken with
create_graph=True."""
from dataclasses import dataclass

import torch
from torch import nn

torch.manual_seed(0)


@dataclass
class Config:
    batch_size: int = 64
    iterations: int = 100
    lr: float = 1e-4
    gp_weight: float = 10.0
    compile: bool = True


cfg = Config()
generator = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
critic = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                       nn.Linear(64, 1, bias=False))
if cfg.compile:
    critic = torch.compile(critic, backend="aot_eager")
opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.lr, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(critic.parameters(), lr=cfg.lr, betas=(0.5, 0.9))
modes = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -2.0]])

for it in range(cfg.iterations):
    real = modes[torch.randint(0, 4, (cfg.batch_size,))] + 0.1 * torch.randn(cfg.batch_size, 2)
    with torch.no_grad():
        fake = generator(torch.randn(cfg.batch_size, 4))
    eps = torch.rand(cfg.batch_size, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    d_loss = critic(fake).mean() - critic(real).mean() + cfg.gp_weight * penalty
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = -critic(generator(torch.randn(cfg.batch_size, 4))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
