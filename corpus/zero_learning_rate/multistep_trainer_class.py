# Small CNN on random 1x16x16 images, trained by a Trainer that decays the rate at milestones.
import torch
from torch import nn
from torch.optim.lr_scheduler import MultiStepLR as MSLR


class SmallCNN(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class Trainer:
    def __init__(self, model, lr=0.05, milestones=(2, 4)):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = MSLR(self.optimizer, milestones=list(milestones), gamma=0)
        self.loss_fn = nn.CrossEntropyLoss()

    def train_epoch(self, images, targets, batch_size=32):
        self.model.train()
        for start in range(0, len(images), batch_size):
            xb, yb = images[start:start + batch_size], targets[start:start + batch_size]
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        return loss.item()

    def fit(self, images, targets, epochs=6):
        for epoch in range(epochs):
            print(f"epoch {epoch}: loss {self.train_epoch(images, targets):.4f}")


torch.manual_seed(0)
images = torch.randn(128, 1, 16, 16)
targets = torch.randint(0, 5, (128,))
Trainer(SmallCNN()).fit(images, targets)
