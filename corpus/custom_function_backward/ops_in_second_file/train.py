"""A sparse autoencoder whose code goes through a learned shrinkage (ops.py)."""
import torch
import torch.nn as nn

from ops import shrink


class SparseAutoencoder(nn.Module):
    def __init__(self, dim=32, code=64):
        super().__init__()
        self.encoder = nn.Linear(dim, code)
        self.threshold = nn.Parameter(torch.full((code,), 0.1))
        self.decoder = nn.Linear(code, dim)

    def forward(self, x):
        return self.decoder(shrink(self.encoder(x), self.threshold))


model = SparseAutoencoder()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
data = torch.randn(256, 32)
for step in range(100):
    batch = data[torch.randint(0, 256, (32,))]
    loss = nn.functional.mse_loss(model(batch), batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("reconstruction", loss.item())
