import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class SmallCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.conv2(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Trainer:
    def __init__(self, model, lr=0.01):
        self.model = model
        self.optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def fit(self, images, labels, steps):
        self.model.train()
        for step in range(steps):
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(images), labels)
            loss.backward()
            self.optimizer.step()
            print(f"step {step}: loss {loss.item():.4f}")


torch.manual_seed(0)
images = torch.randn(32, 3, 16, 16)
labels = torch.randint(0, 10, (32,))
Trainer(SmallCNN()).fit(images, labels, steps=4)
