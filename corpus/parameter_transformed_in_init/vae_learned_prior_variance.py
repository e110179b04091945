"""A VAE on synthetic binary patterns whose Gaussian prior has a learned diagonal variance."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class VAE(nn.Module):
    def __init__(self, x_dim=32, z_dim=4, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * z_dim))
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, x_dim))
        self.prior_var = torch.zeros(z_dim, requires_grad=True).exp()

    def forward(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decoder(z), mu, logvar

    def kl(self, mu, logvar):
        # KL(N(mu, exp(logvar)) || N(0, prior_var)), summed over the latent dimensions
        ratio = logvar.exp() / self.prior_var
        return 0.5 * (ratio + mu.pow(2) / self.prior_var - 1 - torch.log(ratio)).sum(-1)


prototypes = (torch.rand(6, 32) > 0.5).float()
model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

for step in range(60):
    idx = torch.randint(0, 6, (64,))
    x = (prototypes[idx] + (torch.rand(64, 32) < 0.05).float()) % 2
    logits, mu, logvar = model(x)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    loss = (recon + model.kl(mu, logvar)).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step}: elbo loss {loss.item():.2f}")
