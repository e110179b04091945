# Small image classifier; element-wise gradient clipping is optional (--clip-value, 0 = off).
import argparse

import torch
import torch.nn as nn
from torch.nn.utils import clip_grad_value_


class ConvNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class Trainer:
    def __init__(self, model, lr, clip_value):
        self.model = model
        self.clip_value = clip_value
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.criterion = nn.CrossEntropyLoss()

    def train_batch(self, images, labels):
        self.model.train()
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(images), labels)
        loss.backward()
        clip_grad_value_(self.model.parameters(), clip_value=self.clip_value)
        self.optimizer.step()
        return loss.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--clip-value", type=float, default=0.0)
    args = parser.parse_args()

    torch.manual_seed(1)
    images = torch.randn(96, 3, 16, 16)
    labels = torch.randint(0, 4, (96,))
    trainer = Trainer(ConvNet(), args.lr, args.clip_value)
    for epoch in range(args.epochs):
        losses = [trainer.train_batch(images[i:i + 32], labels[i:i + 32]) for i in range(0, 96, 32)]
        print(f"epoch {epoch}: loss {sum(losses) / len(losses):.4f}")


if __name__ == "__main__":
    main()
