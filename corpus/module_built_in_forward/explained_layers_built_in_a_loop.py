# A residual MLP whose blocks are built in a loop inside forward(): several fresh layers per call.
# One layer in __init__ would share its weights across the depth, another model; gradfix explains.
import torch
import torch.nn as nn


class ResidualMLP(nn.Module):
    def __init__(self, width=32, depth=3):
        super().__init__()
        self.width, self.depth = width, depth
        self.inp = nn.Linear(6, width)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for _ in range(self.depth):
            h = h + torch.tanh(nn.Linear(self.width, self.width)(h))
        return self.out(h)


torch.manual_seed(0)
model = ResidualMLP()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(64, 6)
y = x.sum(1, keepdim=True)
for step in range(10):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
