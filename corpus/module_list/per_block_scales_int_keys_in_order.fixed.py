# Learned residual scales, one nn.Parameter per block, written into a plain dict under the block's
# index 0..n-1: they receive gradients but no optimizer holds them, so they stay at their start.
import torch
import torch.nn as nn


class ScaledResNet(nn.Module):
    def __init__(self, dim=16, depth=3):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
        self.scale = nn.ParameterDict()
        for i in range(depth):
            self.scale[str(i)] = nn.Parameter(torch.full((), 0.1))
        self.head = nn.Linear(dim, 1)

    def forward(self, x):
        for i, block in enumerate(self.blocks):
            x = x + self.scale[str(i)] * torch.relu(block(x))
        return self.head(x).squeeze(-1)


torch.manual_seed(0)
model = ScaledResNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(64, 16)
y = x[:, :4].sum(1)
for step in range(40):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
