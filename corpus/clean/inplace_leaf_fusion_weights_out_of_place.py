"""BiFPN-style fusion done right: the activations go through nn.ReLU(inplace=True) (they are no
leaves), the learned fusion weights through an out-of-place relu."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Fuse(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(2))
        self.conv = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True))

    def forward(self, a, b):
        w = F.relu(self.weight)
        w = w / (w.sum() + 1e-4)
        return self.conv(w[0] * a + w[1] * b)


class Net(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(inplace=True))
        self.down = nn.Sequential(nn.Conv2d(c, c, 3, 2, 1), nn.ReLU(inplace=True))
        self.fuse = Fuse(c)
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        a = self.stem(x)
        b = F.interpolate(self.down(a), scale_factor=2.0)
        return self.head(self.fuse(a, b))


torch.manual_seed(0)
net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for it in range(20):
    x = torch.randn(8, 1, 16, 16)
    loss = F.binary_cross_entropy_with_logits(net(x), (x > 0.5).float())
    opt.zero_grad()
    loss.backward()
    opt.step()
