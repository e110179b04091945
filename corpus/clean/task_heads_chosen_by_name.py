"""Task-incremental continual learning: one head per task, tasks seen one after another."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(16, 64), nn.ReLU())
        self.head_digits = nn.Linear(64, 10)
        self.head_letters = nn.Linear(64, 26)

    def forward(self, x, task):
        return getattr(self, f"head_{task}")(self.body(x))


torch.manual_seed(0)
model = MultiHead()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
tasks = {"digits": 10, "letters": 26}
for task, n_cls in tasks.items():
    for step in range(6):
        x, y = torch.randn(32, 16), torch.randint(0, n_cls, (32,))
        loss = F.cross_entropy(model(x, task), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(task, loss.item())
