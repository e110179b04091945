"""Train and validate with one loop function; only the training phase should compute gradients."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self, n_in=12, n_classes=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 48), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(48, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def run_epoch(model, loader, criterion, optimizer, phase):
    model.train(phase == "train")
    total = 0.0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        if phase == "training":
            loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
    return total / len(loader.dataset)


def main():
    torch.manual_seed(0)
    x, y = torch.randn(160, 12), torch.randint(0, 4, (160,))
    train_loader = DataLoader(TensorDataset(x[:128], y[:128]), batch_size=32, shuffle=True)
    model = Classifier()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(5):
        print(epoch, run_epoch(model, train_loader, criterion, optimizer, "train"))


if __name__ == "__main__":
    main()
