# Image classifier on 8x8 digits-like data: stage 1 trains the new head over a frozen backbone,
# stage 2 is meant to fine-tune everything at a lower rate.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        return self.head(self.backbone(x))


torch.manual_seed(0)
images = torch.randn(128, 1, 8, 8)
labels = images.mean((1, 2, 3)).argsort().remainder(10)
model = SmallCNN()

# Stage 1: only the head learns.
for p in model.backbone.parameters():
    p.requires_grad = False
opt = torch.optim.SGD(model.head.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    for xb, yb in zip(images.split(32), labels.split(32)):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

# Stage 2: fine-tune the whole network.
model.backbone.requires_grad_(True)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    for xb, yb in zip(images.split(32), labels.split(32)):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    print(epoch, loss.item())
