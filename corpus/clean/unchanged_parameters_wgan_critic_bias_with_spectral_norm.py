"""A WGAN critic with spectrally normalised layers (torch.nn.utils.parametrizations.spectral_norm):
its loss, critic(fake).mean() - critic(real).mean(), does not depend on the last layer's bias, so
that bias never changes. Correct: nothing to report."""
import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm

torch.manual_seed(0)

critic = nn.Sequential(spectral_norm(nn.Linear(2, 64)), nn.ReLU(), spectral_norm(nn.Linear(64, 1)))
generator = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
opt_c = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
opt_g = torch.optim.RMSprop(generator.parameters(), lr=5e-5)

for it in range(200):
    real = torch.randn(64, 2) + 1.0
    fake = generator(torch.randn(64, 8))
    loss_c = critic(fake.detach()).mean() - critic(real).mean()
    opt_c.zero_grad()
    loss_c.backward()
    opt_c.step()
    loss_g = -critic(fake).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
