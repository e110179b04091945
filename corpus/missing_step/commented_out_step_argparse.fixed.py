import argparse

import torch as T
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def get_args():
    parser = argparse.ArgumentParser(description="logistic regression")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    return parser.parse_args()


def main():
    args = get_args()
    T.manual_seed(0)
    x = T.randn(128, 10)
    y = (x @ T.randn(10) > 0).float().unsqueeze(1)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True)

    model = nn.Linear(10, 1)
    optimizer = T.optim.SGD(model.parameters(), lr=args.lr)
    criterion = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * xb.size(0)
            # optimizer.step()  # TODO: re-enable after checking the gradients
        print(f"epoch {epoch}: loss {total / len(x):.4f}")


if __name__ == "__main__":
    main()
