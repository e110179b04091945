"""A layer with a fixed random projection (a plain tensor: a random-projection baseline) plus a
learned bias that is already an nn.Parameter, and a random table kept with register_buffer. The
bias is no flagged sibling: nothing here is a learned tensor left plain."""
import torch
import torch.nn as nn


class RandomProjectionLayer(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.projection = torch.randn(n_in, n_out) / n_in ** 0.5
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.register_buffer("codebook", torch.randn(n_out, n_out))

    def forward(self, x):
        return torch.relu(x @ self.projection + self.bias) @ self.codebook


torch.manual_seed(0)
x = torch.randn(256, 16)
y = x[:, :4].sum(1, keepdim=True)
model = nn.Sequential(RandomProjectionLayer(16, 32), nn.Linear(32, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
for step in range(50):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("mse", loss.item())
