# A small CNN with weight-standardised convolutions (WS + GroupNorm instead of BatchNorm).
import torch
import torch.nn as nn
import torch.nn.functional as F


class WSConv2d(nn.Conv2d):
    def forward(self, x):
        w = self.weight.data
        w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x, w, self.bias.data, self.stride, self.padding)


class WSNet(nn.Module):
    def __init__(self, n_classes=6):
        super().__init__()
        self.conv1 = WSConv2d(3, 16, 3, padding=1)
        self.gn1 = nn.GroupNorm(4, 16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, stride=2)
        self.gn2 = nn.GroupNorm(8, 32)
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x):
        x = F.relu(self.gn1(self.conv1(x)))
        x = F.relu(self.gn2(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


torch.manual_seed(0)
images = torch.randn(192, 3, 16, 16)
labels = torch.randint(0, 6, (192,))
model = WSNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(4):
    for xb, yb in zip(images.split(32), labels.split(32)):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
