import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class TemperatureScaler(nn.Module):
    """Post-hoc calibration: one learnable temperature on top of a trained classifier's logits."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier
        self.log_temperature = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        with torch.no_grad():
            logits = self.classifier(x)
        return logits / self.log_temperature.exp()

    def calibrate(self, x, y, steps=20):
        optimizer = optim.Adam(self.log_temperature, lr=0.05)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.cross_entropy(self(x), y)
            loss.backward()
            optimizer.step()
        return loss.item()


def fit_classifier(x, y):
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    for _ in range(30):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(300, 10)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    classifier = fit_classifier(x[:200], y[:200])
    scaler = TemperatureScaler(classifier)
    print("calibrated nll:", scaler.calibrate(x[200:], y[200:]))
    print("temperature:", scaler.log_temperature.exp().item())
