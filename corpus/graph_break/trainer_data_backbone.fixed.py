import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class Trainer:
    def __init__(self, backbone, head, lr=0.05):
        self.backbone = backbone
        self.head = head
        params = list(backbone.parameters()) + list(head.parameters())
        self.optimizer = optim.SGD(params, lr=lr, momentum=0.9)

    def train_step(self, images, labels):
        self.optimizer.zero_grad()
        feats = self.backbone(images)
        logits = self.head(feats)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
images = torch.randn(48, 1, 12, 12)
labels = torch.randint(0, 4, (48,))

backbone = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
)
head = nn.Linear(16, 4)
trainer = Trainer(backbone, head)

for step in range(5):
    loss = trainer.train_step(images, labels)
    print(f"step {step}: loss {loss:.4f}")
