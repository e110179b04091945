# Denoising autoencoder whose loss goes through numpy for the loss curve and back into torch.
import numpy as np
import torch
from torch import nn

torch.manual_seed(3)
data = torch.rand(96, 20)

encoder = nn.Sequential(nn.Linear(20, 8), nn.ReLU())
decoder = nn.Sequential(nn.Linear(8, 20), nn.Sigmoid())
params = list(encoder.parameters()) + list(decoder.parameters())
optimizer = torch.optim.RMSprop(params, lr=1e-3)
curve = []


def reconstruct(batch):
    noisy = batch + 0.1 * torch.randn_like(batch)
    return decoder(encoder(noisy))


for epoch in range(4):
    for batch in data.split(24):
        loss = nn.functional.binary_cross_entropy(reconstruct(batch), batch)
        loss_np = loss.detach().cpu().numpy()
        curve.append(loss_np)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {np.mean(curve[-4:]):.4f}")
