import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class RandomFeatures(nn.Module):
    """Random Fourier features: a fixed random projection (a buffer, never trained) and a learned
    linear read-out on top."""

    def __init__(self, d_in=6, n_features=64, n_out=1):
        super().__init__()
        projection = torch.randn(d_in, n_features)
        self.register_buffer("projection", projection)
        self.projection.require_grad = False  # misspelt, and harmless: a buffer never requires grad
        self.readout = nn.Linear(2 * n_features, n_out)

    def forward(self, x):
        z = x @ self.projection
        return self.readout(torch.cat([torch.sin(z), torch.cos(z)], dim=1))


x = torch.randn(256, 6)
y = torch.sin(x.sum(1, keepdim=True))
model = RandomFeatures()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(8):
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
