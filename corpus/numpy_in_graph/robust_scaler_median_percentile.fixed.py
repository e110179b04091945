"""Sensor-window classifier with a median/IQR feature scaler between two learned stages."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RobustScaler(nn.Module):
    """Median/IQR scaling over the batch, as scikit-learn's RobustScaler does."""

    def forward(self, h):
        center = torch.quantile(h, 0.5, dim=0)
        q75, q25 = torch.quantile(h, h.new_tensor([0.75, 0.25]), dim=0)
        scale = torch.clamp(q75 - q25, min=1e-3)
        return (h - center) / scale


class WindowClassifier(nn.Module):
    def __init__(self, window=24, classes=3):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(window, 32), nn.GELU(), nn.Linear(32, 16))
        self.scaler = RobustScaler()
        self.classifier = nn.Linear(16, classes)

    def forward(self, x):
        return self.classifier(self.scaler(self.features(x)))


def synthetic_windows(n=480, window=24, classes=3):
    y = torch.randint(0, classes, (n,))
    t = torch.linspace(0, 6.28, window)
    x = torch.sin(t * (1 + y[:, None])) + 0.2 * torch.randn(n, window)
    return x, y


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.optimizer = torch.optim.RMSprop(model.parameters(), lr=lr)

    def fit(self, x, y, epochs=10, batch=48):
        for epoch in range(epochs):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), batch):
                idx = perm[i:i + batch]
                loss = F.cross_entropy(self.model(x[idx]), y[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch} loss {loss.item():.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    x, y = synthetic_windows()
    Trainer(WindowClassifier()).fit(x, y)
