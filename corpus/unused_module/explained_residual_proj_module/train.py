import argparse

import torch
import torch.nn as nn
from torch import optim

from model import ResNetMLP


def parse_args():
    parser = argparse.ArgumentParser(description="residual MLP on synthetic data")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--hidden", type=int, default=32)
    return parser.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(0)
    x = torch.randn(90, 10)
    y = torch.randint(0, 3, (90,))

    model = ResNetMLP(hidden=args.hidden)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
