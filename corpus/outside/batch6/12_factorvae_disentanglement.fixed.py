import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

Z_DIM, X_DIM, GAMMA = 4, 32, 6.0


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(X_DIM, 64), nn.ReLU(), nn.Linear(64, 2 * Z_DIM))
        self.decode = nn.Sequential(nn.Linear(Z_DIM, 64), nn.ReLU(), nn.Linear(64, X_DIM))

    def forward(self, x, no_dec=False):
        mu, logvar = self.encode(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        if no_dec:
            return z.squeeze()
        return self.decode(z), mu, logvar, z


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(Z_DIM, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128),
                                 nn.LeakyReLU(0.2), nn.Linear(128, 2))

    def forward(self, z):
        return self.net(z)


def permute_dims(z):
    """Shuffle each latent dimension independently across the batch (samples q(z) marginals)."""
    B, d = z.size()
    return torch.stack([z[torch.randperm(B), j] for j in range(d)], dim=1)


# data generated from 4 independent factors through a fixed random nonlinearity
mixing = torch.randn(Z_DIM, X_DIM)
factors = torch.rand(4096, Z_DIM) * 2 - 1
data = torch.tanh(factors @ mixing) + 0.05 * torch.randn(4096, X_DIM)

vae, D = VAE().to(device), Discriminator().to(device)
optim_VAE = torch.optim.Adam(vae.parameters(), lr=1e-3)
optim_D = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
ones = torch.ones(64, dtype=torch.long, device=device)
zeros = torch.zeros(64, dtype=torch.long, device=device)

for step in range(200):
    idx = torch.randint(0, len(data), (128,))
    x_true1, x_true2 = data[idx[:64]].to(device), data[idx[64:]].to(device)

    x_recon, mu, logvar, z = vae(x_true1)
    vae_recon_loss = F.mse_loss(x_recon, x_true1, reduction="sum") / 64
    vae_kld = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
    D_z = D(z)
    vae_tc_loss = (D_z[:, :1] - D_z[:, 1:]).mean()
    vae_loss = vae_recon_loss + vae_kld + GAMMA * vae_tc_loss

    optim_VAE.zero_grad()
    vae_loss.backward(retain_graph=True)
    optim_VAE.step()

    z_prime = vae(x_true2, no_dec=True)
    z_pperm = permute_dims(z_prime).detach()
    D_z_pperm = D(z_pperm)
    D_tc_loss = 0.5 * (F.cross_entropy(D(z.detach()), zeros) + F.cross_entropy(D_z_pperm, ones))

    optim_D.zero_grad()
    D_tc_loss.backward()
    optim_D.step()

    if step % 50 == 49:
        print(f"step {step + 1} recon {vae_recon_loss.item():.3f} kld {vae_kld.item():.3f} "
              f"tc {vae_tc_loss.item():.3f} D {D_tc_loss.item():.3f}")
