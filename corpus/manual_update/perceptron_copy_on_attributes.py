"""A two-layer network with hand-made parameters and its own update method."""
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, n_in=4, n_hidden=10, lr=0.2):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(n_in, n_hidden) * 0.5)
        self.w2 = nn.Parameter(torch.randn(n_hidden, 1) * 0.5)
        self.lr = lr

    def forward(self, x):
        return torch.tanh(x @ self.w1) @ self.w2

    def update(self):
        self.w1.copy_(self.w1 - self.lr * self.w1.grad)
        self.w2.copy_(self.w2 - self.lr * self.w2.grad)


def train():
    torch.manual_seed(0)
    x = torch.randn(128, 4)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2]
    net = TinyNet()
    for step in range(30):
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        net.update()
        if step % 10 == 0:
            print(step, round(loss.item(), 4))


train()
