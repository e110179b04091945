# Learns a two-dimensional latent space for synthetic absorption spectra with a variational
# autoencoder: the encoder normalises its hidden layer, the decoder reconstructs the spectrum, and
# the loss is reconstruction error plus the KL term. Settings come from one config dictionary.
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

config = {"n_spectra": 1001, "n_bins": 64, "latent": 2, "hidden": 48, "lr": 2e-3, "epochs": 8, "beta": 0.5}
loader_config = {"batch_size": 100, "shuffle": True, "num_workers": 0}

torch.manual_seed(2)
grid = torch.linspace(0, 1, config["n_bins"])
centres = torch.rand(config["n_spectra"], 1)
widths = 0.05 + 0.1 * torch.rand(config["n_spectra"], 1)
spectra = torch.exp(-((grid - centres) / widths) ** 2) + 0.02 * torch.randn(config["n_spectra"], config["n_bins"])

loader = DataLoader(TensorDataset(spectra), **loader_config, drop_last=True)


class Encoder(nn.Module):
    def __init__(self, n_in, hidden, latent):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(n_in, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.1))
        self.mu = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)

    def forward(self, x):
        h = self.hidden(x)
        return self.mu(h), self.log_var(h)


class VAE(nn.Module):
    def __init__(self, n_in, hidden, latent):
        super().__init__()
        self.encoder = Encoder(n_in, hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, n_in))

    def forward(self, x):
        mu, log_var = self.encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        return self.decoder(z), mu, log_var


model = VAE(config["n_bins"], config["hidden"], config["latent"])
optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])

for epoch in range(config["epochs"]):
    total = 0.0
    for (batch,) in loader:
        recon, mu, log_var = model(batch)
        reconstruction = F.mse_loss(recon, batch, reduction="sum") / len(batch)
        kl = -0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp()) / len(batch)
        loss = reconstruction + config["beta"] * kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    print(f"epoch {epoch}: loss per spectrum {total / len(spectra):.4f}")
