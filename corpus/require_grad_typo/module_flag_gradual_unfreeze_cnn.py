"""Gradual unfreezing of a small CNN: the classifier trains alone first, then the conv
stages are released one per epoch, deepest first."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.stage1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.stage2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.classifier = nn.Linear(16, n_classes)

    def forward(self, x):
        x = F.max_pool2d(self.stage1(x), 2)
        x = self.stage2(x)
        return self.classifier(x.mean(dim=(2, 3)))


torch.manual_seed(0)
images = torch.randn(64, 3, 16, 16)
labels = torch.randint(0, 5, (64,))

net = SmallCNN()
for stage in (net.stage1, net.stage2):
    stage.requires_grad_(False)

opt = torch.optim.Adam(net.parameters(), lr=1e-3)
schedule = {1: net.stage2, 2: net.stage1}

for epoch in range(4):
    if epoch in schedule:
        schedule[epoch].requires_grad = True
    for i in range(0, 64, 16):
        out = net(images[i : i + 16])
        loss = F.cross_entropy(out, labels[i : i + 16])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
