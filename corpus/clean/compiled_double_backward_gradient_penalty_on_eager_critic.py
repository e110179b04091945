"""WGAN-GP where only the generator is compiled. The gradient penalty is taken with
create_graph=True through the critic, which runs eagerly; the generator's compiled graph is
differentiated once per step, so no double backward goes through it."""
import torch
from torch import nn

torch.manual_seed(0)

generator = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
generator = torch.compile(generator, backend="aot_eager")
critic = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                       nn.Linear(64, 1, bias=False))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
modes = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0], [0.0, -2.0]])

for it in range(30):
    real = modes[torch.randint(0, 4, (64,))] + 0.1 * torch.randn(64, 2)
    with torch.no_grad():
        fake = generator(torch.randn(64, 4))
    eps = torch.rand(64, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    d_loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = -critic(generator(torch.randn(64, 4))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
