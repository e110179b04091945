# Classifier with an auxiliary rotation-prediction head; the auxiliary weight comes from args.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--aux-weight", type=float, default=0.0)
parser.add_argument("--epochs", type=int, default=5)
cfg = parser.parse_args()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.cls_head = nn.Linear(128, 10)
        self.rot_head = nn.Linear(128, 4)

    def forward(self, x):
        h = self.backbone(x)
        return self.cls_head(h), self.rot_head(h)


torch.manual_seed(0)
images = torch.randn(96, 1, 12, 12)
labels = torch.randint(0, 10, (96,))
net = Net()
optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
for epoch in range(cfg.epochs):
    for i in range(0, 96, 32):
        xb, yb = images[i:i + 32], labels[i:i + 32]
        k = torch.randint(0, 4, (len(xb),))
        rotated = torch.stack([torch.rot90(img, int(r), dims=(1, 2)) for img, r in zip(xb, k)])
        logits, _ = net(xb)
        _, rot_logits = net(rotated)
        aux_loss = F.cross_entropy(rot_logits, k)
        loss = F.cross_entropy(logits, yb) + cfg.aux_weight * aux_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
