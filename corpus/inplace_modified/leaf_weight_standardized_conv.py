"""Weight-standardised convolutions (as used with GroupNorm) in a small image classifier."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class WSConv2d(nn.Conv2d):
    def forward(self, x):
        w = self.weight
        w -= w.mean(dim=(1, 2, 3), keepdim=True)
        w = w / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            WSConv2d(3, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.ReLU(),
            WSConv2d(16, 32, 3, stride=2, padding=1), nn.GroupNorm(4, 32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.features(x))


torch.manual_seed(8)
net = Net()
optim = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(256, 3, 16, 16)
labels = torch.randint(0, 10, (256,))
for epoch in range(3):
    for i in range(0, 256, 32):
        loss = F.cross_entropy(net(images[i:i + 32]), labels[i:i + 32])
        optim.zero_grad()
        loss.backward()
        optim.step()
    print(epoch, loss.item())
