import torch
from torch import nn
from torch.optim import AdamW


class Encoder(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, num_classes)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


def main():
    torch.manual_seed(0)
    images = torch.randn(40, 1, 10, 10)
    labels = torch.randint(0, 4, (40,))

    model = Encoder(num_classes=10)
    # fine-tune on a 4-class task: swap the head first, then build the optimizer
    model.fc = nn.Linear(model.fc.in_features, 4)
    optimizer = AdamW(model.parameters(), lr=5e-3)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(5):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
