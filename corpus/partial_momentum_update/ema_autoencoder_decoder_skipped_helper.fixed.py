"""Denoising autoencoder on synthetic signals; reconstructions are reported from an EMA of the
weights, which is smoother than the raw model late in training."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class DenoisingAE(nn.Module):
    def __init__(self, n=32, code=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n, 24), nn.GELU(), nn.Linear(24, code))
        self.decoder = nn.Sequential(nn.Linear(code, 24), nn.GELU(), nn.Linear(24, n))

    def forward(self, x):
        return self.decoder(self.encoder(x))


@torch.no_grad()
def lerp_into(shadow, live, weight):
    shadow.lerp_(live, weight)


def signals(batch, n=32):
    t = torch.linspace(0, 1, n)
    freq = torch.randint(1, 5, (batch, 1)).float()
    return torch.sin(2 * torch.pi * freq * t + torch.rand(batch, 1) * 6.28)


def train_epoch(model, ema, opt, steps=40, decay=0.95):
    for _ in range(steps):
        clean = signals(64)
        loss = F.mse_loss(model(clean + 0.3 * torch.randn_like(clean)), clean)
        opt.zero_grad()
        loss.backward()
        opt.step()
        for shadow, live in zip(
            list(ema.encoder.parameters()) + list(ema.decoder.parameters()),
            list(model.encoder.parameters()) + list(model.decoder.parameters()),
        ):
            lerp_into(shadow, live, 1 - decay)
    return loss.item()


torch.manual_seed(0)
model = DenoisingAE()
ema = copy.deepcopy(model).requires_grad_(False)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(5):
    print(f"epoch {epoch}: train mse {train_epoch(model, ema, opt):.4f}")
with torch.no_grad():
    clean = signals(256)
    print("EMA denoising mse", F.mse_loss(ema(clean + 0.3 * torch.randn_like(clean)), clean).item())
