import torch
import torch.nn as nn
from torch.optim import AdamW


class Classifier(nn.Module):
    def __init__(self, in_dim=12, hidden=32, n_classes=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.LayerNorm(hidden))
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.out(self.body(x))


class Trainer:
    def __init__(self, model, lr=3e-3):
        self.model = model
        self.optimizer = AdamW(self.model.parameters(), lr=lr, weight_decay=0.01)
        self.criterion = nn.CrossEntropyLoss()

    def train_step(self, inputs, targets):
        self.optimizer.zero_grad()
        self.model.train()
        logits = self.model(inputs)
        loss = self.criterion(logits, targets)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, inputs, targets, steps):
        for step in range(steps):
            loss = self.train_step(inputs, targets)
            print(f"step {step}: loss {loss:.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    inputs = torch.randn(96, 12)
    targets = torch.randint(0, 4, (96,))
    Trainer(Classifier()).fit(inputs, targets, steps=8)
