# Linear autoencoder on sensor windows; the forward pass sits in a no_grad block to save memory.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
windows = torch.randn(320, 24).cumsum(dim=1) / 5
loader = DataLoader(TensorDataset(windows), batch_size=64, shuffle=True)

autoencoder = nn.Sequential(nn.Linear(24, 6), nn.Linear(6, 24))
optimizer = torch.optim.Adam(autoencoder.parameters(), lr=1e-2)
criterion = nn.MSELoss()

for epoch in range(10):
    for (batch,) in loader:
        with torch.no_grad():
            recon = autoencoder(batch)
        loss = criterion(recon, batch)
        loss.requires_grad = True
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
