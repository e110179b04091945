import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

device = "cpu"


class SmallConvNet(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(4 * 2 * 2, num_classes)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return self.fc(h.flatten(1))


def main():
    torch.manual_seed(0)
    images = torch.randn(48, 1, 8, 8)
    labels = torch.randint(0, 3, (48,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True)

    model = SmallConvNet().to(device)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(3):
        running = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.zero_grad(set_to_none=False)
            optimizer.step()
            running += loss.item() * xb.size(0)
        print(f"epoch {epoch}: loss {running / len(loader.dataset):.4f}")


if __name__ == "__main__":
    main()
