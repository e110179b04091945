"""Segmentation network with discriminative learning rates: encoder, decoder and head each faster."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim as O

torch.manual_seed(0)


class SegNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(nn.ConvTranspose2d(16, 8, 2, stride=2), nn.ReLU())
        self.head = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        return self.head(self.decoder(self.encoder(x)))


net = SegNet()
base_lr = 1e-3
optimizer = O.Adam([
    {"params": [p for p in net.parameters() if all(p is not q for q in net.decoder.parameters()) and all(p is not q for q in net.head.parameters())], "lr": base_lr},
    {"params": net.decoder.parameters(), "lr": base_lr * 3},
    {"params": net.head.parameters(), "lr": base_lr * 10},
])

images = torch.randn(6, 3, 16, 16)
masks = torch.randint(0, 3, (6, 16, 16))
for epoch in range(4):
    optimizer.zero_grad()
    loss = F.cross_entropy(net(images), masks)
    loss.backward()
    optimizer.step()
    print(f"{epoch}: {loss.item():.4f}")
