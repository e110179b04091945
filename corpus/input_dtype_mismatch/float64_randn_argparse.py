import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class Regressor(nn.Module):
    def __init__(self, in_dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=200)
parser.add_argument("--dim", type=int, default=4)
parser.add_argument("--hidden", type=int, default=16)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--steps", type=int, default=20)
args = parser.parse_args()

torch.manual_seed(0)
inputs = torch.randn(args.n, args.dim, dtype=torch.float64)
targets = torch.randn(args.n)

model = Regressor(args.dim, args.hidden)
optimizer = optim.Adam(model.parameters(), lr=args.lr)
loss_fn = nn.MSELoss()

for step in range(args.steps):
    optimizer.zero_grad()
    preds = model(inputs)
    loss = loss_fn(preds, targets)
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
