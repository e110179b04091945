"""A small VAE on synthetic 2-D blobs: the encoder's last layer gives the mean and the
log-variance of the posterior in one tensor."""
import torch as th
from torch import nn
from torch.nn import functional as F


class Encoder(nn.Module):
    def __init__(self, data_dim=8, latent_dim=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(data_dim, 64), nn.ELU(), nn.Linear(64, 2 * latent_dim))

    def forward(self, x):
        mu, log_var = self.body(x).chunk(2, dim=1)
        log_var = log_var.clamp(-8.0, 8.0)  # keep exp() finite early in training
        return mu, log_var


class VAE(nn.Module):
    def __init__(self, data_dim=8, latent_dim=2):
        super().__init__()
        self.encoder = Encoder(data_dim, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ELU(), nn.Linear(64, data_dim))

    def forward(self, x):
        mu, log_var = self.encoder(x)
        z = mu + th.randn_like(mu) * (0.5 * log_var).exp()
        return self.decoder(z), mu, log_var


def elbo_loss(recon, x, mu, log_var):
    rec = F.mse_loss(recon, x, reduction="sum") / x.shape[0]
    kl = -0.5 * th.sum(1 + log_var - mu.pow(2) - log_var.exp()) / x.shape[0]
    return rec + kl


th.manual_seed(3)
centers = th.randn(4, 8) * 3
data = centers[th.randint(0, 4, (512,))] + 0.3 * th.randn(512, 8)
vae = VAE()
optimizer = th.optim.Adam(vae.parameters(), lr=2e-3)
for epoch in range(4):
    for batch in data.split(64):
        recon, mu, log_var = vae(batch)
        loss = elbo_loss(recon, batch, mu, log_var)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} elbo {loss.item():.3f}")
