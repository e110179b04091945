import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


def get_args():
    parser = argparse.ArgumentParser(description="binary classifier")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.05)
    return parser.parse_args()


def main():
    args = get_args()
    torch.manual_seed(0)
    device = torch.device(args.device)
    x = torch.randn(120, 4, device=device)
    y = (x[:, 0] + x[:, 1] > 0).float().unsqueeze(1)

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)
    optimizer = optim.SGD(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        optimizer.zero_grad()
        probs = torch.sigmoid(model(x))
        preds = (probs > args.threshold).float()
        loss = F.binary_cross_entropy(preds, y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: bce {loss.item():.4f}")


if __name__ == "__main__":
    main()
