# Correct: heads are registered as attributes; a dict keyed by task id only points at them for
# convenient lookup, so it holds nothing unregistered.
import torch
import torch.nn as nn


class TwoTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(8, 16)
        self.head_a = nn.Linear(16, 1)
        self.head_b = nn.Linear(16, 1)
        self.heads = {0: self.head_a, 1: self.head_b}

    def forward(self, x, task):
        return self.heads[task](torch.relu(self.trunk(x))).squeeze(-1)


torch.manual_seed(0)
model = TwoTaskNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(32, 8)
ys = {0: x[:, 0], 1: x[:, 1] * 2}
for step in range(20):
    task = step % 2
    optimizer.zero_grad()
    loss = (model(x, task) - ys[task]).pow(2).mean()
    loss.backward()
    optimizer.step()
