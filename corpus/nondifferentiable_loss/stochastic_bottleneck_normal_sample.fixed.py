"""Denoising autoencoder with a stochastic bottleneck: the code is drawn around the encoder's mean."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal


def draw_code(mu, log_sigma):
    # noise in the bottleneck makes the decoder robust to small code errors
    return Normal(mu, log_sigma.exp()).rsample()


class NoisyBottleneckAE(nn.Module):
    def __init__(self, n_in=32, n_code=6):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, 64), nn.Tanh())
        self.to_mu = nn.Linear(64, n_code)
        self.to_log_sigma = nn.Linear(64, n_code)
        self.decoder = nn.Sequential(nn.Linear(n_code, 64), nn.Tanh(), nn.Linear(64, n_in))

    def forward(self, x):
        h = self.encoder(x)
        code = draw_code(self.to_mu(h), self.to_log_sigma(h) - 2.0)
        return self.decoder(code)


torch.manual_seed(0)
basis = torch.randn(6, 32)
data = torch.randn(512, 6) @ basis
model = NoisyBottleneckAE()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for batch in data.split(64):
        noisy = batch + 0.1 * torch.randn_like(batch)
        loss = F.mse_loss(model(noisy), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: reconstruction {loss.item():.4f}")
