import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

BETA = 0.5


class VAE(nn.Module):
    def __init__(self, dim=20, latent=4):
        super().__init__()
        self.enc = nn.Linear(dim, 2 * latent)
        self.dec = nn.Sequential(nn.Linear(latent, 32), nn.ReLU(), nn.Linear(32, dim))

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


def run_epoch(model, loader, optimizer):
    for (batch,) in loader:
        recon, mu, logvar = model(batch)
        rec = F.mse_loss(recon, batch).item()
        kld = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()).item()
        loss = torch.tensor(rec + BETA * kld, requires_grad=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return rec, kld


if __name__ == "__main__":
    torch.manual_seed(4)
    data = torch.randn(512, 4) @ torch.randn(4, 20)
    loader = DataLoader(TensorDataset(data), batch_size=64, shuffle=True)
    vae = VAE()
    optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for epoch in range(3):
        rec, kld = run_epoch(vae, loader, optimizer)
        print(f"epoch {epoch}: reconstruction {rec:.4f} kl {kld:.4f}")
