"""A VAE whose KL term is taken against a fixed standard-normal prior kept as zeros tensors on
the module: N(0, I) by design, not learned."""
import torch
import torch.nn as nn


class VAE(nn.Module):
    def __init__(self, d=8, z=2):
        super().__init__()
        self.enc = nn.Linear(d, 2 * z)
        self.dec = nn.Linear(z, d)
        # A fixed standard-normal prior: N(0, I), by design not learned.
        self.prior_mu = torch.zeros(z)
        self.prior_logvar = torch.zeros(z)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        zs = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        kl = 0.5 * (self.prior_logvar - logvar + (logvar.exp() + (mu - self.prior_mu) ** 2) / self.prior_logvar.exp() - 1).sum(-1).mean()
        return self.dec(zs), kl


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(64, 8)
for step in range(20):
    recon, kl = model(x)
    loss = ((recon - x) ** 2).mean() + kl
    opt.zero_grad()
    loss.backward()
    opt.step()
print("done")
