import argparse

import torch
import torch.nn as nn
from torch import optim as O


class Regressor(nn.Module):
    def __init__(self, in_features, hidden):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def main():
    parser = argparse.ArgumentParser(description="toy regression")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x = torch.randn(100, 6)
    y = torch.sin(x[:, :1]) + 0.05 * torch.randn(100, 1)

    model = Regressor(6, args.hidden)
    optimizer = O.RMSprop([], lr=args.lr, alpha=0.9)
    criterion = nn.SmoothL1Loss()

    for epoch in range(args.epochs):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: {loss.item():.5f}")


if __name__ == "__main__":
    main()
