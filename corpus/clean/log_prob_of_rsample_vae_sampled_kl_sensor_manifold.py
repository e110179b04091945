"""A VAE on 16-channel sensor snapshots, with the KL term estimated by sampling.

The snapshots lie near a 2-d manifold (two hidden operating conditions drive all channels through
a fixed nonlinear map). The posterior is a diagonal Gaussian and the prior a standard normal; the
KL divergence is estimated from the same reparameterised sample that feeds the decoder,
log q(z|x) - log p(z), as one would for a prior without a closed-form KL.
"""
import torch
from torch import nn
from torch.nn import functional as F
import torch.distributions as td

torch.manual_seed(42)

N, CHANNELS, LATENT = 1024, 16, 2
EPOCHS, BATCH, LR = 15, 64, 2e-3
BETA = 1.0


def make_snapshots(n):
    cond = torch.rand(n, 2) * 2 - 1
    mix = torch.randn(2, CHANNELS)
    phase = torch.rand(CHANNELS) * 3.14
    x = torch.sin(cond @ mix + phase) + 0.3 * torch.tanh(cond[:, :1] * cond[:, 1:] * 3)
    return x + 0.05 * torch.randn(n, CHANNELS)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(CHANNELS, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU())
        self.loc = nn.Linear(64, LATENT)
        self.log_scale = nn.Linear(64, LATENT)

    def forward(self, x):
        h = self.net(x)
        return td.Independent(td.Normal(self.loc(h), self.log_scale(h).clamp(-6, 3).exp()), 1)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(LATENT, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, CHANNELS))
        self.log_noise = nn.Parameter(torch.tensor(-2.0))

    def forward(self, z):
        return td.Independent(td.Normal(self.net(z), self.log_noise.exp()), 1)


def negative_elbo(encoder, decoder, x):
    q = encoder(x)
    prior = td.Independent(td.Normal(torch.zeros(x.shape[0], LATENT), torch.ones(x.shape[0], LATENT)), 1)
    z = q.rsample()
    recon = decoder(z).log_prob(x)
    kl_estimate = q.log_prob(z) - prior.log_prob(z)
    return (-recon + BETA * kl_estimate).mean(), recon.mean(), kl_estimate.mean()


def main():
    data = make_snapshots(N)
    train, val = data[:896], data[896:]
    encoder, decoder = Encoder(), Decoder()
    opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=LR)

    for epoch in range(EPOCHS):
        perm = torch.randperm(len(train))
        for i in range(0, len(train), BATCH):
            loss, _, _ = negative_elbo(encoder, decoder, train[perm[i:i + BATCH]])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 3 == 0 or epoch == EPOCHS - 1:
            with torch.no_grad():
                val_loss, recon, kl = negative_elbo(encoder, decoder, val)
            print(f"epoch {epoch:2d}  val -elbo {val_loss.item():8.3f}  recon {recon.item():8.3f}  kl {kl.item():6.3f}")

    with torch.no_grad():
        codes = encoder(val).mean
        print(f"latent spread per dimension: {codes.std(0).tolist()}")


if __name__ == "__main__":
    main()
