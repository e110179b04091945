import argparse

import torch
import torch.nn as nn
from torch import optim


class AutoRegressor(nn.Module):
    def __init__(self, in_dim, hidden):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden))
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(torch.tanh(self.encoder(x)))


def main():
    parser = argparse.ArgumentParser(description="toy regression")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--hidden", type=int, default=24)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(200, 8)
    y = x[:, :1] * 2.0 - x[:, 1:2] + 0.1 * torch.randn(200, 1)

    model = AutoRegressor(8, args.hidden)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.MSELoss()

    for epoch in range(args.epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch} mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
