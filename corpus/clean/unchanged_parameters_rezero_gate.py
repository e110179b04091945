# ReZero residual blocks: each block's output is scaled by a gate that starts at 0, so the
# block's own weights get gradients of exactly 0 until the gate has moved.
import torch
import torch.nn as nn


class ReZeroBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x + self.gate * self.ff(x)


torch.manual_seed(0)
net = nn.Sequential(nn.Linear(6, 16), ReZeroBlock(16), ReZeroBlock(16), nn.Linear(16, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=5e-3)
x = torch.randn(200, 6)
y = torch.sin(x[:, :1]) * x[:, 1:2]
for epoch in range(4):
    for i in range(0, 200, 50):
        loss = nn.functional.mse_loss(net(x[i:i + 50]), y[i:i + 50])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 5))
