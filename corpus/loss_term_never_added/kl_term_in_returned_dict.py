# A regulariser computed inside the model and returned in a dict of outputs: the training step
# uses only the reconstruction, and logs the KL term. The prior network that only the KL term
# reaches never trains.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
kl_weight = 0.1


class PriorVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(16, 8)
        self.decoder = nn.Linear(4, 16)
        self.prior = nn.Linear(1, 8)  # a learned prior: mean and log-variance

    def forward(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        p_mu, p_logvar = self.prior(torch.ones(x.shape[0], 1)).chunk(2, dim=-1)
        kl = 0.5 * (p_logvar - logvar + (logvar.exp() + (mu - p_mu) ** 2) / p_logvar.exp() - 1).sum(-1).mean()
        return {"recon": self.decoder(z), "kl": kl}


model = PriorVAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(20):
    x = torch.randn(32, 16)
    out = model(x)
    loss = F.mse_loss(out["recon"], x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item(), out["kl"].item())
