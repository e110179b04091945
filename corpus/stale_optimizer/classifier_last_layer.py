import torch
import torch.nn as nn
import torch.optim as optim


class MiniVGG(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 2 * 2, 32),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(32, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def main():
    torch.manual_seed(0)
    images = torch.randn(32, 3, 16, 16)
    labels = torch.randint(0, 5, (32,))

    model = MiniVGG()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.classifier[-1] = nn.Linear(32, 5)
    criterion = nn.CrossEntropyLoss()

    for step in range(6):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
