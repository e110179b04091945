# Multi-task model: each batch comes from one task, so one head is used per step, but every
# optimizer steps after each batch (an unused head's step does nothing).
import torch
from torch import nn


class MultiHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.heads = nn.ModuleDict({"sentiment": nn.Linear(32, 3), "topic": nn.Linear(32, 5)})

    def forward(self, x, task):
        return self.heads[task](self.trunk(x))


torch.manual_seed(0)
model = MultiHead()
topic_opt = torch.optim.Adam(model.heads["topic"].parameters(), lr=1e-2)
sentiment_opt = torch.optim.Adam(model.heads["sentiment"].parameters(), lr=1e-2)
trunk_opt = torch.optim.Adam(model.trunk.parameters(), lr=1e-3)
optimizers = (topic_opt, sentiment_opt, trunk_opt)
batches = [("sentiment", 3), ("topic", 5)] * 6

for step, (task, classes) in enumerate(batches):
    x = torch.randn(24, 10)
    y = torch.randint(0, classes, (24,))
    loss = nn.functional.cross_entropy(model(x, task), y)
    for opt in optimizers:
        opt.zero_grad()
    loss.backward()
    for opt in optimizers:
        opt.step()
    print(step, task, round(loss.item(), 4))
