"""A fraud-detection Trainer: the criterion is built per sample in __init__, and the training
step logs loss.item() after backward()."""
import torch
import torch.nn as nn
from torch.optim import AdamW


class FraudMLP(nn.Module):
    def __init__(self, n_features=16):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.layers(x).squeeze(-1)


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.criterion = nn.BCEWithLogitsLoss()
        self.optimizer = AdamW(model.parameters(), lr=lr)
        self.history = []

    def train_step(self, x, y):
        self.model.train()
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        self.history.append(loss.item())

    def fit(self, loader, epochs):
        for _ in range(epochs):
            for x, y in loader:
                self.train_step(x, y)
        return self.history[-1]


torch.manual_seed(0)
transactions = torch.randn(512, 16)
fraud = (transactions[:, 0] * transactions[:, 3] > 1.0).float()
loader = [(transactions[i : i + 64], fraud[i : i + 64]) for i in range(0, 512, 64)]
print("final loss:", Trainer(FraudMLP()).fit(loader, epochs=5))
