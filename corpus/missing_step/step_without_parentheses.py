import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_loader(n=128, batch_size=32):
    x = torch.randn(n, 10)
    y = (x[:, :3].sum(dim=1) > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total = 0.0
    for inputs, labels in loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step
        total += loss.item()
    return total / len(loader)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    loader = make_loader()
    for epoch in range(5):
        print(f"epoch {epoch}: {train_one_epoch(model, loader, optimizer, criterion):.4f}")
