"""Inputs scaled by a running estimate of their spread, updated under no_grad while training."""
import torch
import torch.nn as nn


class RunningScale(nn.Module):
    def __init__(self, dim, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.inv_spread = torch.ones(dim)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.inv_spread = (1 - self.momentum) * self.inv_spread + self.momentum / (x.std(0) + 1e-5)
        return x * self.inv_spread


torch.manual_seed(0)
x = torch.randn(300, 8) * torch.linspace(0.5, 5.0, 8)
y = (x[:, 0] / 0.5 - x[:, 7] / 5.0 > 0).float()
model = nn.Sequential(RunningScale(8), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(50):
    logits = model(x).squeeze(1)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
