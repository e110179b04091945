# Denoising autoencoder with a per-iteration exponential decay set at the top of the file.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import ExponentialLR

EPOCHS = 5
LEARNING_RATE = 2e-3
LR_DECAY = 0
NOISE = 0.2

torch.manual_seed(0)
clean = torch.rand(512, 64)

encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8))
decoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid())
params = list(encoder.parameters()) + list(decoder.parameters())
optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
scheduler = ExponentialLR(optimizer, gamma=LR_DECAY)

for epoch in range(EPOCHS):
    for it, start in enumerate(range(0, 512, 32)):
        target = clean[start:start + 32]
        noisy = (target + NOISE * torch.randn_like(target)).clamp(0, 1)
        recon = decoder(encoder(noisy))
        loss = nn.functional.binary_cross_entropy(recon, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if it % 4 == 0:
            print(epoch, it, round(loss.item(), 4))
