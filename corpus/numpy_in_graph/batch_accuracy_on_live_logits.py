"""Digit-like classification; the batch accuracy is computed in NumPy from the live logits."""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_loader():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(640, 28, generator=g)
    y = x[:, :10].argmax(dim=1)
    return DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=g)


def run_epoch(model, loader, optimizer, criterion):
    accuracies = []
    for xb, yb in loader:
        logits = model(xb)
        loss = criterion(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        accuracies.append(np.mean(np.argmax(logits, axis=1) == yb.numpy()))
    return float(np.mean(accuracies))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(28, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()
    loader = make_loader()
    for epoch in range(4):
        print("epoch", epoch, "accuracy", run_epoch(model, loader, optimizer, criterion))
