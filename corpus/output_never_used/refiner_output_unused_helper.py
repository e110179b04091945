"""Few-shot features: a refiner network polishes the backbone's embedding, but the training step
classifies the raw embedding, so the refiner never trains."""
import torch
import torch.nn as tnn
import torch.nn.functional as F
from torch.optim import AdamW


class Backbone(tnn.Module):
    def __init__(self, in_ch=1, dim=32):
        super().__init__()
        self.conv = tnn.Sequential(
            tnn.Conv2d(in_ch, 16, 3, padding=1), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(16, dim, 3, padding=1), tnn.BatchNorm2d(dim), tnn.ReLU(), tnn.AdaptiveAvgPool2d(1),
        )

    def forward(self, x):
        return self.conv(x).flatten(1)


class Refiner(tnn.Module):
    """A bottleneck MLP added to the embedding (as in feature-refinement heads)."""

    def __init__(self, dim=32):
        super().__init__()
        self.mlp = tnn.Sequential(tnn.Linear(dim, dim // 2), tnn.ReLU(), tnn.Linear(dim // 2, dim))

    def forward(self, z):
        return z + self.mlp(z)


def train_step(backbone, refiner, classifier, optimizer, images, labels):
    optimizer.zero_grad()
    embedding = backbone(images)
    refined = refiner(embedding)
    logits = classifier(embedding)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.item()


torch.manual_seed(1)
backbone, refiner, classifier = Backbone(), Refiner(), tnn.Linear(32, 5)
params = list(backbone.parameters()) + list(refiner.parameters()) + list(classifier.parameters())
optimizer = AdamW(params, lr=3e-3, weight_decay=1e-4)
images = torch.randn(40, 1, 12, 12)
labels = torch.randint(0, 5, (40,))
for it in range(6):
    print(it, train_step(backbone, refiner, classifier, optimizer, images, labels))
