"""A denoising autoencoder whose loss is kept as a numpy value for a plot; the numpy value is
then what backward() is called on."""
import numpy as np
import torch
from torch import nn, optim

torch.manual_seed(0)
np.random.seed(0)

clean = torch.sin(torch.linspace(0, 6.28, 64)).repeat(128, 1) * torch.rand(128, 1)
encoder = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 8))
decoder = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 64))
optimizer = optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=2e-3)
loss_fn = nn.MSELoss()
curve = np.zeros(100)

for step in range(100):
    noisy = clean + 0.1 * torch.randn_like(clean)
    reconstruction = decoder(encoder(noisy))
    loss = loss_fn(reconstruction, clean).detach().cpu().numpy()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    curve[step] = loss

print("first / last reconstruction error:", curve[0], curve[-1])
