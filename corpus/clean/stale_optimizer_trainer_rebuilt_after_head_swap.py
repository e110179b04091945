"""A Trainer builds its optimizer and cosine schedule in __init__; the caller swaps the head for
the new label set and then builds both again for the trainer, as it should."""
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import CosineAnnealingLR


class Net(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.fc(self.body(x))


class Trainer:
    def __init__(self, model, lr=0.05, epochs=4):
        self.model = model
        self.epochs = epochs
        self.optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = CosineAnnealingLR(self.optimizer, T_max=epochs)

    def fit(self, images, labels):
        for epoch in range(self.epochs):
            self.optimizer.zero_grad()
            loss = nn.functional.cross_entropy(self.model(images), labels)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            print(epoch, round(loss.item(), 4))


def swap_head(model, n_classes):
    model.fc = nn.Linear(model.fc.in_features, n_classes)


if __name__ == "__main__":
    torch.manual_seed(2)
    images, labels = torch.randn(32, 3, 8, 8), torch.randint(0, 3, (32,))
    trainer = Trainer(Net())
    swap_head(trainer.model, 3)
    # the head is new: the optimizer and its schedule must hold its parameters
    trainer.optimizer = optim.SGD(trainer.model.parameters(), lr=0.05, momentum=0.9)
    trainer.scheduler = CosineAnnealingLR(trainer.optimizer, T_max=trainer.epochs)
    trainer.fit(images, labels)
