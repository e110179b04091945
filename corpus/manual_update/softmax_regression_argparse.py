import argparse

import torch
import torch.nn.functional as F


def parse_args():
    parser = argparse.ArgumentParser(description="softmax regression from scratch")
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--features", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=0.3)
    return parser.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(0)
    centers = 2.0 * torch.randn(args.classes, args.features)
    labels = torch.randint(0, args.classes, (240,))
    inputs = centers[labels] + torch.randn(240, args.features)

    W = torch.randn(args.features, args.classes, requires_grad=True)
    bias = torch.zeros(args.classes, requires_grad=True)

    for epoch in range(args.epochs):
        loss = F.cross_entropy(inputs @ W + bias, labels)
        loss.backward()
        W = W - args.lr * W.grad
        bias = bias - args.lr * bias.grad
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
