# Fine-tune a small CNN feature extractor plus a linear classifier on 10-class 16x16 images.
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_backbone():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


torch.manual_seed(0)
images = torch.randn(256, 3, 16, 16)
labels = torch.randint(0, 10, (256,))

backbone = make_backbone()
classifier = nn.Linear(32, 5)
optimizer = torch.optim.SGD([backbone, classifier], lr=0.05, momentum=0.9, weight_decay=5e-4)

# the dataset has 10 classes, not the 5 of the old task
classifier = nn.Linear(32, 10)

for epoch in range(5):
    for i in range(0, len(images), 32):
        optimizer.zero_grad()
        logits = classifier(backbone(images[i:i + 32]))
        loss = F.cross_entropy(logits, labels[i:i + 32])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
