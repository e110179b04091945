import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total, correct = 0.0, 0
    for xb, yb in loader:
        logits = model(xb)
        total += criterion(logits, yb).item()
        correct += (logits.argmax(dim=1) == yb).sum().item()
    return total / len(loader), correct / len(loader.dataset)


def main():
    torch.manual_seed(0)
    x = torch.randn(240, 10)
    y = (x[:, :3].sum(dim=1) > 0).long()
    train_loader = DataLoader(TensorDataset(x[:180], y[:180]), batch_size=30, shuffle=True)
    val_loader = DataLoader(TensorDataset(x[180:], y[180:]), batch_size=30)

    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 2))
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(3):
        train_loss = train_one_epoch(model, train_loader, optimizer, criterion)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f} acc {val_acc:.3f}")


if __name__ == "__main__":
    main()
