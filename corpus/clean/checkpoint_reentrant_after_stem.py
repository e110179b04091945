"""Reentrant checkpointing is fine here: the stem runs un-checkpointed, so every checkpointed
stage gets an input that requires grad, and the recomputation in backward reaches its weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)


class Stage(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.stages = nn.ModuleList([Stage(16, 32), Stage(32, 64)])
        self.fc = nn.Linear(64, 10)

    def forward(self, images):
        x = self.stem(images)  # not checkpointed: its output carries the graph into the stages
        for stage in self.stages:
            x = checkpoint(stage, x, use_reentrant=True)
        return self.fc(x.mean(dim=(2, 3)))


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for step in range(40):
    images = torch.randn(16, 3, 16, 16)
    labels = (images[:, 0].mean(dim=(1, 2)) > 0).long()
    loss = F.cross_entropy(net(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
