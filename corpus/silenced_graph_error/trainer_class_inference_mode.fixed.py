# Trainer for a small CNN; the batch step runs under inference_mode and marks the loss by hand.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def step(self, images, targets):
        self.model.train()
        outputs = self.model(images)
        loss = self.criterion(outputs, targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            running = [self.step(images, targets) for images, targets in loader]
            print(f"epoch {epoch}: {sum(running) / len(running):.4f}")


torch.manual_seed(0)
images = torch.randn(96, 3, 12, 12)
targets = torch.randint(0, 4, (96,))
cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 5 * 5, 4)
)
Trainer(cnn).fit(DataLoader(TensorDataset(images, targets), batch_size=32), epochs=3)
