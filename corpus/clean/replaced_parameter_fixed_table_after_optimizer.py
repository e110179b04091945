# A sinusoidal position table replaces the learned one after the optimizer was built, on purpose
# frozen (requires_grad=False): nothing is meant to train it.
import math

import torch
import torch.nn as nn

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self, length, dim):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(length, dim))
        self.proj = nn.Linear(dim, 1)

    def forward(self, x):
        return self.proj(x + self.pos).mean(1)


model = Encoder(10, 8)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
position = torch.arange(10).unsqueeze(1)
angle = position / torch.pow(10000.0, torch.arange(8) / 8)
model.pos = nn.Parameter(torch.where(torch.arange(8) % 2 == 0, torch.sin(angle), torch.cos(angle)) / math.sqrt(8), requires_grad=False)

x, y = torch.randn(32, 10, 8), torch.randn(32, 1)
for step in range(20):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
print(loss.item())
