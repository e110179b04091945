"""A residual MLP whose layer-scale factor is made as a new nn.Parameter in forward() at every call."""
import torch
from torch import nn


class ScaledBlock(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.width = width
        self.fc = nn.Linear(width, width)
        self.gamma = nn.Parameter(torch.full((self.width,), 0.1))

    def forward(self, x):
        return x + self.gamma * torch.tanh(self.fc(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 16)
        self.block = ScaledBlock(16)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(self.block(self.inp(x)))


torch.manual_seed(0)
data = torch.randn(64, 4)
target = data.sum(1, keepdim=True)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(30):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(data), target)
    loss.backward()
    optimizer.step()
