import argparse

import torch
import torch.nn as nn
import torch.optim as optim


def parse_args():
    parser = argparse.ArgumentParser(description="toy 4-class classifier")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    x = torch.randn(120, 12)
    y = torch.randint(0, 4, (120,))
    x_test = torch.randn(40, 12)
    y_test = torch.randint(0, 4, (40,))

    model = nn.Sequential(nn.Linear(12, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 4))
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train()
        with torch.no_grad():
            optimizer.zero_grad()
            logits = model(x)
            loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch + 1}/{args.epochs} loss {loss.item():.4f}")

    model.eval()
    with torch.no_grad():
        acc = (model(x_test).argmax(dim=1) == y_test).float().mean()
    print(f"test accuracy {acc.item():.3f}")


if __name__ == "__main__":
    main()
