"""Denoising autoencoder for accelerometer windows from a gearbox test rig (synthetic: two
meshing harmonics, a bearing tone, impulsive faults, broadband noise).

Adaptive gradient clipping keeps the first epochs stable while the decoder is still random;
after the warm-up it is switched off so the model can fit the sharp impulses.
"""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

WINDOW = 128
WARMUP_EPOCHS = 2
CLIP = 0.05

random.seed(8)
torch.manual_seed(8)


def clean_window():
    t = torch.arange(WINDOW, dtype=torch.float32)
    f_mesh = random.uniform(0.05, 0.09)
    x = torch.sin(2 * math.pi * f_mesh * t) + 0.5 * torch.sin(4 * math.pi * f_mesh * t + random.random())
    x += 0.3 * torch.sin(2 * math.pi * 0.21 * t)
    if random.random() < 0.4:
        period = random.randint(20, 40)
        x[random.randrange(period)::period] += 2.0
    return x


def make_pairs(n):
    clean = torch.stack([clean_window() for _ in range(n)])
    noisy = clean + 0.6 * torch.randn_like(clean)
    return noisy.unsqueeze(1), clean.unsqueeze(1)


def agc(module, grad_input, grad_output):
    for p in module.parameters():
        w_norm = p.detach().norm().clamp(min=1e-3)
        g_norm = p.grad.norm()
        if g_norm > CLIP * w_norm:
            p.grad.mul_(CLIP * w_norm / g_norm)


class Denoiser(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(1, ch, 7, padding=3), nn.GELU(),
            nn.Conv1d(ch, ch, 5, stride=2, padding=2), nn.GELU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose1d(ch, ch, 4, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(ch, 1, 7, padding=3),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


noisy, clean = make_pairs(1024)
model = Denoiser()
agc_handle = model.encoder.register_full_backward_hook(agc)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

for epoch in range(5):
    if epoch == WARMUP_EPOCHS:
        agc_handle.remove()
        print("warm-up over: adaptive clipping off")
    perm = torch.randperm(len(noisy))
    for i in range(0, len(perm), 32):
        idx = perm[i:i + 32]
        optimizer.zero_grad()
        loss = F.mse_loss(model(noisy[idx]), clean[idx])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        snr = 10 * torch.log10(clean.pow(2).mean() / (model(noisy) - clean).pow(2).mean())
    print(f"epoch {epoch}: loss {loss.item():.4f}, output SNR {snr.item():.1f} dB")
