# LeNet-style CNN whose classifier takes the flattened feature count it sees.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class LeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        flat = torch.flatten(x, 1)
        self.fc = nn.Linear(flat.size(1), self.num_classes)
        return self.fc(flat)


def train(model, loader, optimizer, epochs=3):
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for images, targets in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), targets)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    images = torch.randn(160, 1, 28, 28)
    targets = torch.randint(0, 10, (160,))
    model = LeNet()
    with torch.no_grad():
        model(images[:1])
    train(model, DataLoader(TensorDataset(images, targets), batch_size=32), torch.optim.Adam(model.parameters(), lr=1e-3))
