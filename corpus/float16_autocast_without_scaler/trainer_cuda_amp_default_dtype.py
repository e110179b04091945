"""Semantic segmentation with an auxiliary edge head whose loss is weighted 1e-3 and averaged over
every pixel, trained under CUDA autocast (float16 by default) with no GradScaler."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SegNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.seg = nn.Conv2d(16, classes, 1)
        self.edge = nn.Conv2d(16, 1, 1)

    def forward(self, x):
        h = self.stem(x)
        return self.seg(h), self.edge(h)


class Trainer:
    def __init__(self, device):
        self.device = device
        self.model = SegNet().to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.edge_weight = 1e-3

    def step(self, images, masks, edges):
        with torch.cuda.amp.autocast():
            seg, edge = self.model(images)
        loss = F.cross_entropy(seg.float(), masks) + self.edge_weight * F.l1_loss(edge.float(), edges)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


device = "cuda" if torch.cuda.is_available() else "cpu"
trainer = Trainer(device)
for it in range(10):
    images = torch.randn(8, 3, 96, 96, device=device)
    masks = torch.randint(0, 4, (8, 96, 96), device=device)
    edges = torch.rand(8, 1, 96, 96, device=device)
    trainer.step(images, masks, edges)
