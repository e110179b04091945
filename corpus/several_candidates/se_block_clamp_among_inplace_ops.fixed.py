# A squeeze-and-excitation residual CNN for 10-class 16x16 images.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SEBlock(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        scale = torch.sigmoid(self.fc2(F.relu(self.fc1(out.mean(dim=(2, 3))))))
        scale = scale.clamp(min=0.05)  # never switch a channel off completely
        out = out * scale[:, :, None, None]
        out += x
        return F.relu(out, inplace=True)


class SENet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(SEBlock(16), SEBlock(16))
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean(dim=(2, 3)))


torch.manual_seed(0)
model = SENet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
images, labels = torch.randn(160, 3, 16, 16), torch.randint(0, 10, (160,))
for epoch in range(3):
    for xb, yb in zip(images.split(32), labels.split(32)):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
