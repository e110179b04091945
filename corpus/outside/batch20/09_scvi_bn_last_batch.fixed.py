# Report: https://github.com/scverse/scvi-tools/issues/2314
# A small scVI-style variational autoencoder for single-cell count data (a cells x genes table).
# Its encoder and decoder use BatchNorm1d. The cell count (1153) leaves a single cell in the last
# training batch of 128 (1153 = 9 * 128 + 1), and the DataLoader keeps that incomplete batch, so
# the first epoch ends in BatchNorm1d's "Expected more than 1 value per channel when training,
# got input size torch.Size([1, 64])".
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--n_cells", type=int, default=1282)
    p.add_argument("--n_genes", type=int, default=60)
    p.add_argument("--n_latent", type=int, default=8)
    p.add_argument("--n_hidden", type=int, default=64)
    p.add_argument("--batch_size", type=int, default=128)
    p.add_argument("--max_epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--train_size", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def simulate_counts(n_cells, n_genes, n_types=4):
    """Negative-binomial-ish counts from a few cell types."""
    types = torch.randint(0, n_types, (n_cells,))
    programs = torch.rand(n_types, n_genes) * 4.0
    size_factor = torch.exp(torch.randn(n_cells, 1) * 0.3)
    rate = programs[types] * size_factor
    gamma = torch.distributions.Gamma(torch.full_like(rate, 2.0), 2.0 / rate)
    counts = torch.poisson(gamma.sample())
    return counts, types


class FCLayers(nn.Sequential):
    def __init__(self, n_in, n_out):
        super().__init__(nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out, momentum=0.01, eps=1e-3),
                         nn.ReLU(), nn.Dropout(0.1))


class Encoder(nn.Module):
    def __init__(self, n_in, n_hidden, n_latent):
        super().__init__()
        self.fc = FCLayers(n_in, n_hidden)
        self.mean = nn.Linear(n_hidden, n_latent)
        self.var = nn.Linear(n_hidden, n_latent)

    def forward(self, x):
        h = self.fc(torch.log1p(x))
        mu, var = self.mean(h), torch.exp(self.var(h)) + 1e-4
        z = mu + var.sqrt() * torch.randn_like(mu)
        return mu, var, z


class DecoderSCVI(nn.Module):
    def __init__(self, n_latent, n_hidden, n_out):
        super().__init__()
        self.fc = FCLayers(n_latent, n_hidden)
        self.scale = nn.Linear(n_hidden, n_out)

    def forward(self, z, library):
        px_scale = torch.softmax(self.scale(self.fc(z)), dim=-1)
        return px_scale * library


class VAE(nn.Module):
    def __init__(self, n_genes, n_hidden, n_latent):
        super().__init__()
        self.z_encoder = Encoder(n_genes, n_hidden, n_latent)
        self.decoder = DecoderSCVI(n_latent, n_hidden, n_genes)
        self.px_r = nn.Parameter(torch.randn(n_genes))

    def loss(self, x):
        library = x.sum(1, keepdim=True)
        qz_m, qz_v, z = self.z_encoder(x)
        px_rate = self.decoder(z, library)
        theta = self.px_r.exp()
        log_theta_mu = torch.log(theta + px_rate + 1e-8)
        ll = (theta * (torch.log(theta + 1e-8) - log_theta_mu) + x * (torch.log(px_rate + 1e-8) - log_theta_mu)
              + torch.lgamma(x + theta) - torch.lgamma(theta) - torch.lgamma(x + 1))
        kl = 0.5 * (qz_v + qz_m ** 2 - 1 - torch.log(qz_v)).sum(1)
        return (-ll.sum(1) + kl).mean(), kl.mean()


def main():
    args = get_args()
    torch.manual_seed(args.seed)
    counts, _ = simulate_counts(args.n_cells, args.n_genes)
    ds = TensorDataset(counts)
    n_train = int(args.train_size * len(ds))
    train_ds, val_ds = random_split(ds, [n_train, len(ds) - n_train], generator=torch.Generator().manual_seed(args.seed))
    print(f"train cells {len(train_ds)}, validation cells {len(val_ds)}")
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=args.batch_size)

    global model
    model = VAE(args.n_genes, args.n_hidden, args.n_latent)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, eps=0.01, weight_decay=1e-6)
    for epoch in range(args.max_epochs):
        model.train()
        tot, kl_tot, n = 0.0, 0.0, 0
        for (x,) in train_dl:
            loss, kl = model.loss(x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item() * len(x)
            kl_tot += kl.item() * len(x)
            n += len(x)
        model.eval()
        with torch.no_grad():
            val = sum(model.loss(x)[0].item() * len(x) for (x,) in val_dl) / len(val_ds)
        print(f"epoch {epoch}: elbo_train {tot / n:.2f} kl {kl_tot / n:.2f} elbo_validation {val:.2f}")


if __name__ == "__main__":
    main()
