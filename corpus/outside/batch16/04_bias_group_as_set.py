# Report: https://github.com/pytorch/pytorch/pull/6031
# The biases are collected in a set (to speed up the "p not in biases" test) and the set itself is
# given as the params of the no-weight-decay group; the optimizer refuses it with
# "TypeError: optimizer parameters need to be organized in ordered collections ...".
import argparse
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args([])


class MLP(nn.Module):
    def __init__(self, d_in=10, hidden=32, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(self.bn(torch.relu(self.fc1(x))))


def make_optimizer(model, args):
    biases = set(param for name, param in model.named_parameters() if "bias" in name)
    weights = [p for p in model.parameters() if p not in biases]
    groups = [
        dict(params=weights, lr=args.lr, weight_decay=args.wd),
        dict(params=biases, lr=2 * args.lr, weight_decay=0),
    ]
    return torch.optim.SGD(groups, momentum=0.9)


def main():
    args = get_args()
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    x = torch.tensor(rng.randn(128, 10), dtype=torch.float32)
    y = torch.tensor(rng.randint(0, 3, 128))
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True)
    model = MLP()
    optimizer = make_optimizer(model, args)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        tot = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            tot += loss.item()
        print(f"epoch {epoch}: loss {tot / len(loader):.4f}")
    return model


if __name__ == "__main__":
    model = main()
