"""Tabular regression with a stack of gated residual blocks. Each block computes its gate inside
a no_grad block, as if it were a statistic."""
import torch
from torch import nn, no_grad


class GatedBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.gate = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        update = self.ff(self.norm(x))
        with no_grad():
            g = torch.sigmoid(self.gate(x))
        return x + g * update


class GatedMLP(nn.Module):
    def __init__(self, n_features=10, dim=32, depth=3):
        super().__init__()
        self.inp = nn.Linear(n_features, dim)
        self.blocks = nn.ModuleList([GatedBlock(dim) for _ in range(depth)])
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = block(h)
        return self.out(h).squeeze(-1)


def make_data(n=512, n_features=10):
    x = torch.randn(n, n_features)
    y = x[:, 0] * x[:, 1] - x[:, 2] ** 2 + 0.1 * torch.randn(n)
    return x, y


torch.manual_seed(0)
x, y = make_data()
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
model = GatedMLP()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    print(f"epoch {epoch} mse {total / len(x):.4f}")
