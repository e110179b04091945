# Probe evaluation of a frozen convolutional feature extractor on synthetic 16x16
# texture images: a small MLP head on the pooled features is trained with SGD and momentum, and
# its accuracy is printed after each epoch.
import torch
from torch import nn

torch.manual_seed(0)
N_CLASSES = 4


def make_backbone():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


def build_head(in_features, n_classes, hidden=None, dropout=0.0, trainable=False):
    """A classification head; loaded heads are used for inference unless asked otherwise."""
    if hidden is None:
        head = nn.Linear(in_features, n_classes)
    else:
        head = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes),
        )
    head.requires_grad_(trainable)
    return head


class LinearProbe:
    def __init__(self, backbone, n_classes, lr=0.05):
        self.backbone = backbone.eval().requires_grad_(False)
        self.head = build_head(32, n_classes, hidden=64, dropout=0.1)
        trainable = (p for p in self.head.parameters() if p.requires_grad)
        self.optimizer = torch.optim.SGD(trainable, lr=lr, momentum=0.9)

    def fit_epoch(self, images, labels, batch=32):
        self.head.train()
        for i in range(0, len(images), batch):
            with torch.no_grad():
                features = self.backbone(images[i:i + batch])
            loss = nn.functional.cross_entropy(self.head(features), labels[i:i + batch])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def accuracy(self, images, labels):
        self.head.eval()
        return (self.head(self.backbone(images)).argmax(1) == labels).float().mean().item()


def textures(n):
    labels = torch.randint(0, N_CLASSES, (n,))
    freq = (labels.float() + 1)[:, None, None]
    grid = torch.arange(16.0)
    images = torch.sin(grid[None, :, None] * freq * 0.4) * torch.cos(grid[None, None, :] * freq * 0.3)
    return (images + 0.3 * torch.randn(n, 16, 16)).unsqueeze(1), labels


images, labels = textures(320)
probe = LinearProbe(make_backbone(), N_CLASSES)
for epoch in range(4):
    loss = probe.fit_epoch(images, labels)
    print(f"epoch {epoch} loss {loss:.4f} acc {probe.accuracy(images, labels):.3f}")
