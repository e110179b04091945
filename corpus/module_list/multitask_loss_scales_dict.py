# Multi-task regression with one learned log-scale per task, kept in a dict built by a
# comprehension: the scales get gradients and stay at zero.
import torch
import torch.nn as nn

TASKS = ("depth", "normals", "edges")


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.heads = nn.ModuleDict({t: nn.Linear(32, 1) for t in TASKS})
        self.log_scale = {t: nn.Parameter(torch.zeros(())) for t in TASKS}

    def forward(self, x, targets):
        h = self.trunk(x)
        total = 0.0
        for t in TASKS:
            err = (self.heads[t](h).squeeze(-1) - targets[t]).pow(2).mean()
            total = total + torch.exp(-self.log_scale[t]) * err + self.log_scale[t]
        return total


model = MultiTask()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(64, 8)
targets = {t: x[:, i] * (i + 1) for i, t in enumerate(TASKS)}
for step in range(50):
    optimizer.zero_grad()
    loss = model(x, targets)
    loss.backward()
    optimizer.step()
