"""Fine-tune a pretrained-looking backbone at a small rate and a new head at a larger one."""
import torch
from torch import nn
from torch.optim import AdamW
from torch.utils.data import DataLoader, TensorDataset


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )

    def forward(self, x):
        return self.features(x).flatten(1)


class Model(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.backbone = Backbone()
        self.classifier = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.classifier(self.backbone(x))


torch.manual_seed(0)
model = Model()
param_groups = [
    {"params": model.backbone.parameters(), "lr": 1e-4},
    {"params": model.classifier.parameters(), "lr": 1e-2},
]
optimizer = AdamW(param_groups, weight_decay=0.01)
loader = DataLoader(TensorDataset(torch.randn(64, 1, 12, 12), torch.randint(0, 4, (64,))), batch_size=16)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    for images, targets in loader:
        optimizer.zero_grad()
        loss = criterion(model(images), targets)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
