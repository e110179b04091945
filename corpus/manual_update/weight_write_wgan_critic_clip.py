"""WGAN on a 2-D toy distribution: the critic's weights are clipped to [-c, c] after each of
its updates to keep it (roughly) 1-Lipschitz."""
import torch
import torch.nn as nn

torch.manual_seed(0)
CLIP, Z = 0.05, 4

generator = nn.Sequential(nn.Linear(Z, 32), nn.ReLU(), nn.Linear(32, 2))
critic = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1, bias=False))  # a bias cancels in E[fake] - E[real]
opt_g = torch.optim.RMSprop(generator.parameters(), lr=5e-4)
opt_c = torch.optim.RMSprop(critic.parameters(), lr=5e-4)


def real_batch(n=64):
    angle = torch.rand(n) * 6.283
    return torch.stack([angle.cos(), angle.sin()], 1) * 2 + 0.05 * torch.randn(n, 2)


for it in range(5):
    for _ in range(3):
        fake = generator(torch.randn(64, Z)).detach()
        loss_c = critic(fake).mean() - critic(real_batch()).mean()
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
        for p in critic.parameters():
            p.clamp_(-CLIP, CLIP)
    loss_g = -critic(generator(torch.randn(64, Z))).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    print(it, loss_c.item(), loss_g.item())
