"""A trainer that gives the detection head ten times the backbone's learning rate."""
import torch
import torch.nn as nn


class Detector(nn.Module):
    def __init__(self, anchors=3, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.head = nn.Conv2d(16, anchors * (5 + classes), 1)

    def forward(self, images):
        return self.head(self.features(images))


class Trainer:
    def __init__(self, model, lr=0.01):
        self.model = model
        self.lr = lr
        self.optimizer = self._make_optimizer()

    def _make_optimizer(self):
        backbone = list(self.model.parameters())
        head = list(self.model.head.parameters())
        return torch.optim.SGD(
            [{"params": [p for p in backbone if all(p is not q for q in head)]}, {"params": head, "lr": self.lr * 10}],
            lr=self.lr,
            momentum=0.9,
            weight_decay=1e-4,
        )

    def step(self, images, targets):
        self.optimizer.zero_grad()
        loss = nn.functional.mse_loss(self.model(images), targets)
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
trainer = Trainer(Detector())
images = torch.randn(8, 3, 16, 16)
targets = torch.randn(8, 27, 8, 8)
for it in range(5):
    print(it, trainer.step(images, targets))
