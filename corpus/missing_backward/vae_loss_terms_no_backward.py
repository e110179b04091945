"""A small variational autoencoder: reconstruction plus KL divergence."""
import torch
import torch.nn.functional as F
from torch import nn


class VAE(nn.Module):
    def __init__(self, n_in=16, n_latent=2):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, 32), nn.ReLU())
        self.mu = nn.Linear(32, n_latent)
        self.logvar = nn.Linear(32, n_latent)
        self.decoder = nn.Sequential(nn.Linear(n_latent, 32), nn.ReLU(), nn.Linear(32, n_in))

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar


def train(model, data, epochs=10, beta=0.5):
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(epochs):
        for batch in data.split(32):
            recon, mu, logvar = model(batch)
            recon_loss = F.mse_loss(recon, batch, reduction="sum") / len(batch)
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(batch)
            loss = recon_loss + beta * kl
            optimizer.zero_grad()
            optimizer.step()
        print(f"epoch {epoch}: recon {recon_loss.item():.3f}  kl {kl.item():.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train(VAE(), torch.randn(128, 16))
