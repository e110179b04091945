import torch
import torch.nn as nn
from torch import optim

torch.manual_seed(0)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(4 * 2 * 2, 3)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return self.fc(h.flatten(1))


class Trainer:
    def __init__(self, lr=0.05):
        self.model = ConvNet()
        self.criterion = nn.CrossEntropyLoss()
        # SGD with momentum for the whole network
        self.optimizer = optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)

    def train_step(self, images, targets):
        self.model.train()
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(images), targets)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, images, targets, steps=8):
        for step in range(steps):
            loss = self.train_step(images, targets)
            print(f"step {step}: loss {loss:.4f}")


if __name__ == "__main__":
    images = torch.randn(16, 1, 8, 8)
    targets = torch.randint(0, 3, (16,))
    Trainer().fit(images, targets)
