# Correct: ReZero residual gates and biases start at zero and still train (their gradients are
# not products of other zeros).
import torch
import torch.nn as nn


class ReZeroBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.alpha = nn.Parameter(torch.zeros(1))
        nn.init.zeros_(self.ff[2].bias)

    def forward(self, x):
        return x + self.alpha * self.ff(x)


model = nn.Sequential(ReZeroBlock(8), ReZeroBlock(8), nn.Linear(8, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x, y = torch.randn(64, 8), torch.randn(64, 1)
for step in range(20):
    optimizer.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    optimizer.step()
