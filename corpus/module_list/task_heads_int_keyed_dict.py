# Multi-task model with one head per task id, kept in a plain dict keyed by the (sparse) int ids
# of the tasks: the heads get gradients but are not registered, so they never change.
import torch
import torch.nn as nn

TASK_IDS = (3, 7, 11)


class MultiTaskNet(nn.Module):
    def __init__(self, in_dim=10, hidden=24):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU())
        self.heads = {tid: nn.Linear(hidden, 1) for tid in TASK_IDS}

    def forward(self, x, task_id):
        return self.heads[task_id](self.trunk(x)).squeeze(-1)


torch.manual_seed(0)
model = MultiTaskNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(48, 10)
targets = {tid: x[:, i] - x[:, i + 1] for i, tid in enumerate(TASK_IDS)}
for step in range(30):
    tid = TASK_IDS[step % len(TASK_IDS)]
    optimizer.zero_grad()
    loss = (model(x, tid) - targets[tid]).pow(2).mean()
    loss.backward()
    optimizer.step()
