# A small VAE on 2-D mixture samples, with an EMA copy of the weights for sampling.
import copy

import torch as T
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, dim=2, hidden=32, latent=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(dim, hidden), nn.SiLU(), nn.Linear(hidden, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        z = mu + T.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


@T.inference_mode()
def elbo_loss(recon, x, mu, logvar, beta=0.5):
    rec = F.mse_loss(recon, x, reduction="sum") / x.shape[0]
    kl = -0.5 * T.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
    return rec + beta * kl


@T.no_grad()
def ema_update(ema_model, model, decay=0.99):
    for ema_p, p in zip(ema_model.parameters(), model.parameters()):
        ema_p.mul_(decay).add_(p, alpha=1 - decay)


T.manual_seed(0)
centres = T.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
data = centres[T.randint(0, 3, (300,))] + 0.3 * T.randn(300, 2)

vae = VAE()
ema = copy.deepcopy(vae).requires_grad_(False)
opt = T.optim.Adam(vae.parameters(), lr=3e-3)
for epoch in range(5):
    for batch in data.split(50):
        recon, mu, logvar = vae(batch)
        loss = elbo_loss(recon, batch, mu, logvar)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema_update(ema, vae)
    print(f"epoch {epoch}: elbo {loss.item():.3f}")
