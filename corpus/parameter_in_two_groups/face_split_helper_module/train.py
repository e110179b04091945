"""MobileFaceNet-style embedding network with a CosFace margin head."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils import accuracy, split_weight_decay

torch.manual_seed(0)


class DepthwiseBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.dw = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self.pw = nn.Conv2d(channels, channels, 1, bias=False)

    def forward(self, x):
        return x + self.pw(F.relu(self.bn(self.dw(x))))


class FaceNet(nn.Module):
    def __init__(self, embedding=32):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.PReLU(16))
        self.blocks = nn.Sequential(DepthwiseBlock(16), DepthwiseBlock(16))
        self.embed = nn.Linear(16, embedding)
        self.bn = nn.BatchNorm1d(embedding)

    def forward(self, x):
        x = self.blocks(self.conv(x)).mean(dim=(2, 3))
        return F.normalize(self.bn(self.embed(x)))


class CosFace(nn.Module):
    def __init__(self, embedding=32, classes=10, s=16.0, m=0.35):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, embedding) * 0.01)
        self.s, self.m = s, m

    def forward(self, emb, labels):
        cos = emb @ F.normalize(self.weight).t()
        return self.s * (cos - self.m * F.one_hot(labels, cos.size(1)))


backbone = FaceNet()
margin = CosFace()
decay, no_decay = split_weight_decay(backbone)
optimizer = torch.optim.SGD(
    [{"params": decay + [margin.weight], "weight_decay": 4e-5}, {"params": no_decay}],
    lr=0.1,
    momentum=0.9,
)

faces = torch.randn(16, 3, 16, 16)
ids = torch.randint(0, 10, (16,))
for epoch in range(3):
    logits = margin(backbone(faces), ids)
    loss = F.cross_entropy(logits, ids)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(epoch, round(loss.item(), 3), accuracy(logits, ids))
