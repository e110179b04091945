"""Few-shot shape classifier: a pretrained conv backbone, frozen, under a small trainable neck and
a linear head. The neck was put inside the backbone's no_grad block by mistake."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_backbone():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
    )


class ShapeClassifier(nn.Module):
    def __init__(self, backbone, n_classes=3):
        super().__init__()
        self.backbone = backbone
        self.neck = nn.Conv2d(16, 16, 1)
        self.head = nn.Linear(16 * 4 * 4, n_classes)

    def forward(self, images):
        with torch.no_grad():
            feats = self.backbone(images)
        feats = F.relu(self.neck(feats))
        return self.head(feats.flatten(1))


def shapes(n):
    labels = torch.randint(0, 3, (n,))
    images = torch.zeros(n, 1, 16, 16)
    for i, label in enumerate(labels.tolist()):
        if label == 0:
            images[i, 0, 4:12, 4:12] = 1.0
        elif label == 1:
            images[i, 0, :, 7:9] = 1.0
        else:
            images[i, 0, 7:9, :] = 1.0
    return images + 0.1 * torch.randn_like(images), labels


torch.manual_seed(0)
pretrained = conv_backbone()
backbone = conv_backbone()
backbone.load_state_dict(pretrained.state_dict())
backbone.requires_grad_(False)
model = ShapeClassifier(backbone)
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)

for epoch in range(4):
    for _ in range(10):
        images, labels = shapes(32)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
