# A model that makes its output projection on the first batch, and a training loop that makes the
# optimizer only after that first forward: the projection's weights are in it from the start.
import torch
from torch import nn


class Projector(nn.Module):
    def __init__(self, out_dim=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(9, 20), nn.GELU())
        self.out_dim = out_dim

    def forward(self, x):
        h = self.encoder(x)
        if not hasattr(self, "proj"):
            self.proj = nn.Parameter(torch.randn(h.shape[1], self.out_dim) * h.shape[1] ** -0.5)
        return h @ self.proj


torch.manual_seed(2)
data = torch.randn(400, 9)
labels = data[:, :3].cumsum(1)
model = Projector()
optimizer = None
for step in range(20):
    idx = torch.randint(0, 400, (40,))
    loss = nn.functional.mse_loss(model(data[idx]), labels[idx])
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(round(loss.item(), 4))
