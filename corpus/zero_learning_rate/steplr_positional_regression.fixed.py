# Tabular regression with a helper that builds the optimizer and its schedule from arguments.
import argparse

import torch
import torch.nn as nn
from torch.optim import SGD, lr_scheduler
from torch.utils.data import DataLoader, TensorDataset


def build_optimizer(model, lr, decay_every):
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    return optimizer, lr_scheduler.StepLR(optimizer, decay_every, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--decay-every", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(300, 10)
    y = x @ torch.linspace(-1, 1, 10) + 0.1 * torch.randn(300)
    loader = DataLoader(TensorDataset(x, y.unsqueeze(1)), batch_size=50, shuffle=True)

    model = nn.Sequential(nn.Linear(10, 64), nn.GELU(), nn.Linear(64, 1))
    optimizer, scheduler = build_optimizer(model, args.lr, args.decay_every)
    loss_fn = nn.SmoothL1Loss()
    for epoch in range(args.epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch} lr={scheduler.get_last_lr()[0]:.4g}")


if __name__ == "__main__":
    main()
