"""One shared trunk, one head per task, kept in an nn.ModuleDict keyed by the task's name."""
import torch
import torch.nn as nn
import torch.nn.functional as F

TASKS = {"sentiment": 3, "topic": 5, "toxicity": 2}


class MultiTask(nn.Module):
    def __init__(self, tasks, dim=32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Embedding(200, dim), nn.Dropout(0.1))
        self.pool = nn.GRU(dim, dim, batch_first=True)
        self.heads = nn.ModuleDict({task: nn.Linear(dim, n) for task, n in tasks.items()})

    def forward(self, tokens):
        _, h = self.pool(self.trunk(tokens))
        h = h[-1]
        return {task: head(h) for task, head in self.heads.items()}


torch.manual_seed(5)
model = MultiTask(TASKS)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
tokens = torch.randint(0, 200, (10, 7))
targets = {task: torch.randint(0, n, (10,)) for task, n in TASKS.items()}
for step in range(6):
    outputs = model(tokens)
    loss = sum(F.cross_entropy(outputs[t], targets[t]) for t in TASKS)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, f"{loss.item():.3f}")
