# Detector-style classifier: backbone, a neck that mixes features, and a head; the backbone gets a
# smaller learning rate than the rest.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2))
        self.neck = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        return self.head(self.neck(self.backbone(x)))


torch.manual_seed(0)
model = Net()
param_groups = [
    {"params": model.backbone.parameters(), "lr": 1e-4},
    {"params": model.head.parameters(), "lr": 1e-3},
]
optimizer = torch.optim.AdamW(param_groups + [{"params": model.neck.parameters()}], lr=1e-3, weight_decay=0.05)

x = torch.randn(96, 1, 12, 12)
y = torch.randint(0, 3, (96,))
for epoch in range(6):
    for xb, yb in zip(x.split(16), y.split(16)):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
