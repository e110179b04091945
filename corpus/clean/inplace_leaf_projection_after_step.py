"""Non-negative factorisation by projected gradient descent: the factors are clamped in place
after each step, under no_grad; the module also keeps its temperature in range through .data."""
import torch
from torch import nn


class Factorisation(nn.Module):
    def __init__(self, rows, cols, rank=4):
        super().__init__()
        self.W = nn.Parameter(torch.rand(rows, rank))
        self.H = nn.Parameter(torch.rand(rank, cols))
        self.temperature = nn.Parameter(torch.ones(()))

    def forward(self):
        self.temperature.data.clamp_(0.5, 2.0)
        return (self.W @ self.H) * self.temperature


torch.manual_seed(6)
target = torch.rand(20, 4) @ torch.rand(4, 15)
model = Factorisation(20, 15)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    loss = ((model() - target) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        model.W.clamp_(min=0)
        model.H.clamp_(min=0)
print(loss.item())
