import torch
import torch.nn as nn
from torch.optim import Adam

torch.manual_seed(0)
device = "cpu"

# an autoencoder built as two separate networks
encoder = nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)).to(device)
decoder = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 16)).to(device)
optimizer = Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-2)
loss_fn = nn.MSELoss()

data = torch.randn(128, 3) @ torch.randn(3, 16)
data = data.to(device)

for epoch in range(5):
    for i in range(0, len(data), 32):
        batch = data[i:i + 32]
        optimizer.zero_grad()
        recon = decoder(encoder(batch))
        loss = loss_fn(recon, batch)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: recon {loss.item():.4f}")
