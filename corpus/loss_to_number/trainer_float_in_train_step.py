"""A small Trainer class for a CIFAR-shaped CNN: train_step keeps a float of the loss for its
metrics, under the same name it then calls backward() on."""
import torch
import torch.nn as nn
from torch.optim import SGD
from torch.optim.lr_scheduler import StepLR

torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = StepLR(self.optimizer, step_size=10, gamma=0.5)
        self.metrics = {"loss": []}

    def train_step(self, images, targets):
        self.model.train()
        logits = self.model(images)
        loss = self.loss_fn(logits, targets)
        loss = float(loss)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.metrics["loss"].append(loss)
        return loss

    def fit(self, batches, epochs=3):
        for epoch in range(epochs):
            for images, targets in batches:
                last = self.train_step(images, targets)
            self.scheduler.step()
            print(f"epoch {epoch}: last loss {last:.3f}")


data = [(torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))) for _ in range(6)]
Trainer(SmallCNN()).fit(data)
