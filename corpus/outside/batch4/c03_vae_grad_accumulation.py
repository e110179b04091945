"""Convolutional VAE on synthetic 16x16 blobs with gradient accumulation.

Micro-batches of 8 are accumulated 4 times before each optimizer step (effective batch 32);
zero_grad() is therefore only called after a step.  Sampling and logging run under no_grad.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT, ACCUM_STEPS, MICRO_BATCH = 4, 4, 8


def blobs(n):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16), indexing="ij")
    c = torch.rand(n, 2, 1, 1) * 1.2 - 0.6
    s = torch.rand(n, 1, 1) * 0.2 + 0.1
    return torch.exp(-((xx - c[:, 0]) ** 2 + (yy - c[:, 1]) ** 2) / s).unsqueeze(1)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.ReLU(), nn.Conv2d(8, 16, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten())
        self.fc_mu = nn.Linear(16 * 16, LATENT)
        self.fc_logvar = nn.Linear(16 * 16, LATENT)
        self.fc_dec = nn.Linear(LATENT, 16 * 16)
        self.dec = nn.Sequential(nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(8, 1, 4, 2, 1))

    def encode(self, x):
        h = self.enc(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        return self.dec(self.fc_dec(z).view(-1, 16, 4, 4))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def vae_loss(recon_logits, x, mu, logvar, beta):
    rec = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / x.size(0)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
    return rec + beta * kl, rec, kl


if __name__ == "__main__":
    torch.manual_seed(0)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    optimizer.zero_grad()
    for it in range(48):
        beta = min(1.0, it / 24)                      # KL warm-up
        x = blobs(MICRO_BATCH)
        recon, mu, logvar = model(x)
        loss, rec, kl = vae_loss(recon, x, mu, logvar, beta)
        (loss / ACCUM_STEPS).backward()
        if (it + 1) % ACCUM_STEPS == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            optimizer.zero_grad()
        if it % 12 == 0:
            print(f"it {it:2d} rec {rec.item():.2f} kl {kl.detach().item():.3f} beta {beta:.2f}")

    model.eval()
    with torch.no_grad():
        samples = torch.sigmoid(model.decode(torch.randn(4, LATENT)))
    print("sample mean intensity:", samples.mean().item())
