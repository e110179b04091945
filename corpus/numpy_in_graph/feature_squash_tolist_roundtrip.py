# Autoencoder-style feature squashing done in NumPy between the encoder and the head.
import numpy as np
import torch
import torch.nn as nn


class SquashedClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
        self.head = nn.Linear(8, 2)

    def squash(self, h):
        arr = np.array(h.tolist())
        arr = np.tanh(arr) * np.log1p(np.abs(arr))
        return torch.tensor(arr, dtype=torch.float32)

    def forward(self, x):
        return self.head(self.squash(self.encoder(x)))


def train(model, x, y, epochs=20):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(256, 16)
    y = (x[:, 0] * x[:, 1] > 0).long()
    print("final loss", train(SquashedClassifier(), x, y))
