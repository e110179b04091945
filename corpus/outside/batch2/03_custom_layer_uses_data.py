# Report: https://github.com/d2l-ai/d2l-en/pull/2600
# What goes wrong: the hand-written layer uses self.weight.data / self.bias.data in forward(),
# which are detached views, so no gradient ever reaches the layer's own parameters.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class MonotoneDense(nn.Module):
    """Dense layer with non-negative weights (output is monotone in every input)."""

    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(in_units, units) * 0.5)
        self.bias = nn.Parameter(torch.zeros(units))

    def forward(self, X):
        w = self.weight.data.abs()
        out = torch.matmul(X, w) + self.bias.data
        return F.softplus(out)


class PriceModel(nn.Module):
    def __init__(self, n_features=6, hidden=32):
        super().__init__()
        self.mono = MonotoneDense(n_features, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.mono(x)).squeeze(-1)


def make_data(n=800, n_features=6):
    x = torch.rand(n, n_features)
    y = (x * torch.linspace(0.5, 2.0, n_features)).sum(1) + 0.05 * torch.randn(n)
    return TensorDataset(x, y)


def train(model, loader, epochs=10, lr=5e-3):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        epoch_loss = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * len(xb)
        print(f"epoch {epoch}: mse {epoch_loss / len(loader.dataset):.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train_loader = DataLoader(make_data(), batch_size=32, shuffle=True)
    model = PriceModel()
    train(model, train_loader)
