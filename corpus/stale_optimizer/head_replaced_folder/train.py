import torch
import torch.nn as nn
from torch import optim

from model import Backbone


def main():
    torch.manual_seed(0)
    x = torch.randn(80, 10)
    y = torch.randn(80, 1)

    model = Backbone()
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    criterion = nn.SmoothL1Loss()

    # regression target: a single output instead of the 5 default ones
    model.fc = nn.Linear(24, 1)

    for step in range(8):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
