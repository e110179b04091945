"""Vector-quantised autoencoder on 2-D points: encode, snap to the nearest code, decode."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VQAutoencoder(nn.Module):
    def __init__(self, n_codes=16, dim=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, dim))
        self.codebook = nn.Embedding(n_codes, dim)
        self.decoder = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 2))

    def quantize(self, z):
        distances = torch.cdist(z, self.codebook.weight)
        codes = distances.argmin(dim=1)
        return self.codebook(codes)

    def forward(self, x):
        return self.decoder(self.quantize(self.encoder(x)))


torch.manual_seed(0)
centres = torch.randn(8, 2) * 3
points = centres[torch.randint(0, 8, (1024,))] + 0.2 * torch.randn(1024, 2)
model = VQAutoencoder()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(5):
    for batch in points.split(128):
        recon = model(batch)
        loss = F.mse_loss(recon, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
