# Report: https://github.com/pytorch/pytorch/issues/715
# What goes wrong: the hidden layers are kept in a plain Python list, so nn.Module never
# registers them; model.parameters() only holds the classifier and the hidden layers never learn.
# Repaired version: use nn.ModuleList for the hidden blocks so they are registered and optimized.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class DeepMLP(nn.Module):
    def __init__(self, in_dim, n_hid, n_layers, n_classes):
        super().__init__()
        self.hids = nn.ModuleList()
        dim = in_dim
        for _ in range(n_layers):
            self.hids.append(nn.Sequential(nn.Linear(dim, n_hid), nn.ReLU()))
            dim = n_hid
        self.classifier = nn.Linear(n_hid, n_classes)

    def forward(self, x):
        for block in self.hids:
            x = block(x)
        return self.classifier(x)


def make_loader(n=512, in_dim=20, n_classes=3, batch_size=64):
    x = torch.randn(n, in_dim)
    w = torch.randn(in_dim, n_classes)
    y = (x @ w).argmax(dim=1)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def train(model, loader, epochs=8, lr=1e-2):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        running, correct = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            logits = model(xb)
            loss = criterion(logits, yb)
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.size(0)
            correct += (logits.argmax(1) == yb).sum().item()
        n = len(loader.dataset)
        print(f"epoch {epoch:2d}  loss {running / n:.4f}  acc {correct / n:.3f}")


def main():
    torch.manual_seed(0)
    loader = make_loader()
    model = DeepMLP(in_dim=20, n_hid=64, n_layers=3, n_classes=3)
    train(model, loader)


if __name__ == "__main__":
    main()
