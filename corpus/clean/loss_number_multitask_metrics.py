"""Correct: a multi-task Trainer backpropagates the sum of its task losses and reports each
of them, and their total, as numbers built with .item() in a separate expression."""
import torch
import torch.nn as nn
from torch import optim


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(12, 32), nn.ReLU())
        self.cls = nn.Linear(32, 3)
        self.reg = nn.Linear(32, 1)

    def forward(self, x):
        h = self.shared(x)
        return self.cls(h), self.reg(h).squeeze(-1)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = optim.Adam(model.parameters(), lr=1e-3)
        self.ce = nn.CrossEntropyLoss()
        self.mse = nn.MSELoss()

    def train_step(self, x, labels, values):
        logits, predicted = self.model(x)
        losses = {"cls": self.ce(logits, labels), "reg": self.mse(predicted, values)}
        loss = sum(losses.values())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        metrics = {name: value.item() for name, value in losses.items()}
        metrics["total"] = sum(value.item() for value in losses.values())
        return metrics


torch.manual_seed(0)
trainer = Trainer(TwoHeads())
for step in range(20):
    x = torch.randn(16, 12)
    metrics = trainer.train_step(x, torch.randint(0, 3, (16,)), x[:, 0] * 2)
    if step % 5 == 0:
        print(step, {k: round(v, 3) for k, v in metrics.items()})
