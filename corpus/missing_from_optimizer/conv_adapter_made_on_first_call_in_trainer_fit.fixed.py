# Multichannel sensor classifier: an adapter mixes however many channels the recording has into
# 32 features (built on the first call, once the channel count is known), then a shared temporal
# conv stack. The Trainer builds its optimizer in __init__ and calls the model in fit().
import torch
from torch import nn
import torch.nn.functional as F


class SensorNet(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.temporal = nn.Sequential(nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.classifier = nn.Linear(32, n_classes)
        self.adapter = nn.Sequential(nn.LazyConv1d(32, 1, bias=False), nn.BatchNorm1d(32), nn.ReLU())

    def forward(self, x):
        return self.classifier(self.temporal(self.adapter(x)).squeeze(-1))


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def fit(self, signals, labels, epochs=2, batch=16):
        for epoch in range(epochs):
            order = torch.randperm(len(signals))
            for i in range(0, len(signals), batch):
                idx = order[i:i + batch]
                loss = F.cross_entropy(self.model(signals[idx]), labels[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(epoch, round(loss.item(), 4))


torch.manual_seed(7)
signals = torch.randn(128, 6, 64)
labels = torch.randint(0, 5, (128,))
Trainer(SensorNet()).fit(signals, labels)
