import argparse

import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset


def build_mlp(in_dim, hidden, dropout=0.0):
    return nn.Sequential(
        nn.Linear(in_dim, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, 1),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    torch.manual_seed(0)
    device = "cpu"
    x = torch.randn(200, 6)
    y = (x[:, 0] * x[:, 1]).unsqueeze(1)
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)

    model = build_mlp(6, args.hidden).to(device)
    loss_fn = nn.MSELoss()
    # rebuild with dropout for regularisation
    model = build_mlp(6, args.hidden, dropout=args.dropout).to(device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: last batch loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
