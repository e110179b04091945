import torch
from torch import nn, optim


def make_data(n=80):
    x = torch.randn(n, 6)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2]
    return x, y


def train(stem, head, x, y, steps=6, lr=0.05):
    optimizer = optim.SGD(list(stem.parameters()) + list(head.parameters()), lr=lr)
    loss_fn = nn.MSELoss()
    for step in range(steps):
        optimizer.zero_grad()
        h = stem(x)
        pred = head(h)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: mse {loss.item():.4f}")


torch.manual_seed(0)
x, y = make_data()
stem = nn.Sequential(nn.Linear(6, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU())
head = nn.Linear(20, 1)
train(stem, head, x, y)
