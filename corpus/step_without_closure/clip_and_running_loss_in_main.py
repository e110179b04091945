"""Full-batch training of a small classifier in main(), with the batch moved to the device after
zero_grad(), gradient clipping and a running loss between backward() and step(): the optimizer
is L-BFGS (imported under another name), stepped without a closure."""
import torch
import torch.nn as nn
from torch.optim import LBFGS as SecondOrder


def make_data(n=300):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(n, 2, generator=g)
    y = ((x[:, 0] ** 2 + x[:, 1] ** 2) < 1.0).long()
    return [(x[i : i + 100], y[i : i + 100]) for i in range(0, n, 100)]


def main():
    device = torch.device("cpu")
    net = nn.Sequential(nn.Linear(2, 24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU(), nn.Linear(24, 2)).to(device)
    opt = SecondOrder(net.parameters(), lr=0.3, max_iter=4)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(6):
        running_loss = 0.0
        for xb, yb in make_data():
            opt.zero_grad(set_to_none=True)
            xb, yb = xb.to(device), yb.to(device)
            # forward
            scores = net(xb)
            loss = criterion(scores, yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=5.0)
            running_loss += loss.item()
            opt.step()
        print(f"epoch {epoch}: loss {running_loss / 3:.4f}")


if __name__ == "__main__":
    main()
