"""A small residual CNN trained with micro-batches of 2 images, where BatchNorm statistics are
noise: build_model() replaces every BatchNorm2d by a learnable GroupNorm, walking named_modules()
and storing each one in model._modules under the name it got. The top-level bn1 is replaced; the
ones inside the residual blocks ("layer1.0.bn1") are added beside the BatchNorms they were meant
to replace."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class BasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(h)))


class ResNetTiny(nn.Module):
    def __init__(self, width=16, n_classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = nn.Sequential(BasicBlock(width), BasicBlock(width))
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x):
        h = self.layer1(F.relu(self.bn1(self.conv1(x))))
        return self.fc(h.mean((2, 3)))


def build_model(groups=4):
    model = ResNetTiny()
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.BatchNorm2d):
            model.set_submodule(name, nn.GroupNorm(groups, module.num_features))
    return model


model = build_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=5e-4)
images = torch.randn(32, 3, 8, 8)
labels = images.mean((1, 2, 3)).mul(8).clamp(-2, 2).round().long() + 2

for epoch in range(3):
    for i in range(0, 32, 2):
        loss = F.cross_entropy(model(images[i:i + 2]), labels[i:i + 2])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
