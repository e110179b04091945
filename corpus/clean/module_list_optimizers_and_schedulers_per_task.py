# Correct: one registered head per task in an nn.ModuleDict, and their optimizers and schedulers
# kept in plain dicts keyed by int task id (optimizers are not modules: nothing to register).
import torch
import torch.nn as nn


class PerTask(nn.Module):
    def __init__(self, tasks=(0, 1)):
        super().__init__()
        self.heads = nn.ModuleDict({str(t): nn.Linear(6, 1) for t in tasks})
        self.optimizers = {t: torch.optim.SGD(self.heads[str(t)].parameters(), lr=0.05) for t in tasks}
        self.schedulers = {t: torch.optim.lr_scheduler.StepLR(self.optimizers[t], step_size=5) for t in tasks}

    def forward(self, x, t):
        return self.heads[str(t)](x).squeeze(-1)


torch.manual_seed(0)
model = PerTask()
x = torch.randn(32, 6)
ys = {0: x[:, 0], 1: -x[:, 1]}
for step in range(20):
    t = step % 2
    model.optimizers[t].zero_grad()
    loss = (model(x, t) - ys[t]).pow(2).mean()
    loss.backward()
    model.optimizers[t].step()
    model.schedulers[t].step()
