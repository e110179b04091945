"""A trainer that keeps its parameter groups as a list; the caller resizes the classifier
before training."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.classifier = nn.Linear(4, 2)

    def forward(self, x):
        return self.classifier(self.body(x))


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.param_groups = [
            {"params": list(self.model.body.parameters()), "lr": lr},
            {"params": list(self.model.classifier.parameters()), "lr": lr * 10},
        ]

    def set_num_classes(self, n):
        self.model.classifier = nn.Linear(self.model.classifier.in_features, n)

    def fit(self, x, y, epochs):
        self.param_groups[1]["params"] = list(self.model.classifier.parameters())
        optimizer = torch.optim.SGD(self.param_groups, momentum=0.9)
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = F.cross_entropy(self.model(x), y)
            loss.backward()
            optimizer.step()
        return loss.item()


torch.manual_seed(0)
trainer = Trainer(Net(), lr=0.01)
trainer.set_num_classes(5)
signals = torch.randn(40, 1, 16)
labels = torch.randint(0, 5, (40,))
print("final loss", trainer.fit(signals, labels, epochs=10))
