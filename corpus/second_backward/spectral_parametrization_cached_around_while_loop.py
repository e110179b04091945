"""A critic whose layers are constrained with torch.nn.utils.parametrizations.spectral_norm,
trained until a step budget runs out, with the parametrized weights cached (cached() imported
from torch.nn.utils.parametrize) around the whole while loop."""
import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm
from torch.nn.utils.parametrize import cached

torch.manual_seed(0)

critic = nn.Sequential(spectral_norm(nn.Linear(2, 64)), nn.ReLU(), spectral_norm(nn.Linear(64, 1)))
optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
step, budget = 0, 500
with cached():
    while step < budget:
        real, fake = torch.randn(64, 2) + 1.0, torch.randn(64, 2) - 1.0
        loss = nn.functional.softplus(critic(fake)).mean() + nn.functional.softplus(-critic(real)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
