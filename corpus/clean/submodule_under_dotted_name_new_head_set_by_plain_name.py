"""Transfer learning of a pretrained image feature extractor to a 6-class task: the backbone is
frozen and a helper swaps the classifier for a new one with setattr(model, "head", new_head),
a child's plain name, the way torchvision models get a new fc. The new head is the only thing
trained."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class FeatureNet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        )
        self.head = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def replace_head(model, n_classes):
    old = model.head
    setattr(model, "head", nn.Linear(old.in_features, n_classes))
    return model


model = FeatureNet()
model.requires_grad_(False)
model = replace_head(model, n_classes=6)
model.features.eval()  # frozen BatchNorm statistics as well
optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1, momentum=0.9)

images = torch.randn(96, 3, 10, 10)
labels = (images[:, 0].mean((1, 2)) * 6).clamp(-2.9, 2.9).add(3).long()

for epoch in range(4):
    for i in range(0, 96, 24):
        loss = F.cross_entropy(model(images[i:i + 24]), labels[i:i + 24])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
