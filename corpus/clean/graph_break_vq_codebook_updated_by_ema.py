"""A VQ-VAE whose codebook follows the encoder by an exponential moving average under no_grad,
not by gradients (as in VQ-VAE-2): the straight-through `z + (q - z).detach()` passes no gradient
to it, and nothing needs to. The optimizer holds the codebook too (it is in `model.parameters()`),
but the codebook changes every step. From an outside review of GF008."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class VQ(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(8, 4)
        self.dec = nn.Linear(4, 8)
        self.codebook = nn.Embedding(16, 4)  # updated by EMA, not by gradients

    def forward(self, x):
        z = self.enc(x)
        with torch.no_grad():
            idx = torch.cdist(z, self.codebook.weight).argmin(-1)
        q = self.codebook(idx)
        zq = z + (q - z).detach()  # straight-through estimator
        with torch.no_grad():
            target = q.clone()
            onehot = F.one_hot(idx, 16).float()
            counts = onehot.sum(0).unsqueeze(1)
            means = (onehot.t() @ z) / counts.clamp(min=1)
            self.codebook.weight.mul_(0.99).add_(0.01 * torch.where(counts > 0, means, self.codebook.weight))
        return self.dec(zq), z, target


model = VQ()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(5):
    x = torch.randn(32, 8)
    recon, z, target = model(x)
    loss = F.mse_loss(recon, x) + 0.25 * F.mse_loss(z, target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
