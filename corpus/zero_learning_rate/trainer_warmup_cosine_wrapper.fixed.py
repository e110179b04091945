"""Image classifier trained by a Trainer class; the learning rate follows a warm-up then a cosine
decay, set by a small wrapper around SGD."""
import math

import torch
from torch import nn, optim


class WarmupCosine:
    def __init__(self, optimizer, base_lr, warmup, total):
        self.optimizer = optimizer
        self.base_lr = base_lr
        self.warmup = warmup
        self.total = total
        self.iteration = 0

    def lr_at(self, it):
        if it < self.warmup:
            return self.base_lr * (it + 1) / self.warmup
        progress = (it - self.warmup) / max(1, self.total - self.warmup)
        return 0.5 * self.base_lr * (1 + math.cos(math.pi * progress))

    def step(self):
        lr = self.lr_at(self.iteration)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.step()
        self.iteration += 1


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(32, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class Trainer:
    def __init__(self, net, lr=0.1, epochs=5, iters_per_epoch=8):
        self.net = net
        self.criterion = nn.CrossEntropyLoss()
        sgd = optim.SGD(net.parameters(), lr=0.0, momentum=0.9, weight_decay=5e-4)
        self.sched_opt = WarmupCosine(sgd, lr, warmup=20, total=epochs * iters_per_epoch)
        self.epochs = epochs

    def train_step(self, images, labels):
        self.net.train()
        loss = self.criterion(self.net(images), labels)
        self.sched_opt.optimizer.zero_grad()
        loss.backward()
        self.sched_opt.step()
        return loss.item()

    def fit(self, batches):
        for epoch in range(self.epochs):
            losses = [self.train_step(x, y) for x, y in batches]
            print(f"epoch {epoch}: {sum(losses) / len(losses):.4f}")


torch.manual_seed(0)
data = [(torch.randn(16, 3, 16, 16), torch.randint(0, 10, (16,))) for _ in range(8)]
Trainer(SmallCNN()).fit(data)
