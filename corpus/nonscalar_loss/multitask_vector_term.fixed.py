"""Depth and segmentation heads on a shared encoder: the depth term is a per-pixel L1 map
averaged over the channels only, so the summed objective is still one value per pixel."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DenseNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.depth = nn.Conv2d(16, 1, 1)
        self.segment = nn.Conv2d(16, classes, 1)

    def forward(self, image):
        features = self.encoder(image)
        return self.depth(features), self.segment(features)


model = DenseNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for step in range(30):
    image = torch.randn(4, 3, 16, 16)
    depth_gt = torch.rand(4, 1, 16, 16)
    seg_gt = torch.randint(0, 4, (4, 16, 16))
    depth, logits = model(image)
    depth_loss = (depth - depth_gt).abs().mean(dim=1)
    seg_loss = F.cross_entropy(logits, seg_gt)
    optimizer.zero_grad()
    (depth_loss + 0.5 * seg_loss).mean().backward()
    optimizer.step()
