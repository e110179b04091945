import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Regressor(nn.Module):
    def __init__(self, in_dim=6, hidden=24):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU())
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.body(x))


def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    running = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    return running / len(loader.dataset)


def main():
    torch.manual_seed(0)
    x = torch.randn(128, 6)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] ** 2
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

    model = Regressor()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.MSELoss()
    for epoch in range(4):
        print(f"epoch {epoch}: mse {train_epoch(model, loader, optimizer, loss_fn):.4f}")


if __name__ == "__main__":
    main()
