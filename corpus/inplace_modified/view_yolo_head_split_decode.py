"""A one-scale YOLO-style detector on synthetic images: the head predicts, per grid cell, a box
offset, a box size and objectness plus class scores, split from one conv output."""
import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 3
GRID = 4


class TinyDetector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.1, inplace=True),
            nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.1, inplace=True),
        )
        self.head = nn.Conv2d(32, 5 + NUM_CLASSES, 1)
        ys, xs = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
        self.register_buffer("grid", torch.stack([xs, ys], -1).float())

    def decode(self, raw):
        xy, wh, scores = raw.split([2, 2, 1 + NUM_CLASSES], dim=-1)
        xy = (xy.sigmoid() + self.grid) / GRID
        wh.exp_()
        scores.sigmoid_()
        return torch.cat([xy, wh / GRID, scores], dim=-1)

    def forward(self, images):
        raw = self.head(self.backbone(images)).permute(0, 2, 3, 1)
        return self.decode(raw)


def make_batch(n):
    images = torch.rand(n, 3, 16, 16)
    targets = torch.rand(n, GRID, GRID, 5 + NUM_CLASSES)
    return images, targets


torch.manual_seed(0)
model = TinyDetector()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for it in range(20):
    images, targets = make_batch(8)
    preds = model(images)
    loss = F.mse_loss(preds[..., :4], targets[..., :4]) + F.binary_cross_entropy(preds[..., 4:], targets[..., 4:].round())
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 5 == 0:
        print(it, round(loss.item(), 4))
