"""CIFAR-style ResNet: batch-norm parameters without weight decay, everything else with it."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class BasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(out)))


class TinyResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = nn.Sequential(BasicBlock(16), BasicBlock(16))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.layer1(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def split_bn_params(net):
    bn_params, rest = [], []
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            bn_params += list(m.parameters())
        else:
            rest += list(m.parameters())
    return bn_params, rest


model = TinyResNet()
bn_params, rest = split_bn_params(model)
optimizer = optim.SGD(
    [{"params": rest, "weight_decay": 5e-4}, {"params": bn_params, "weight_decay": 0.0}],
    lr=0.05,
    momentum=0.9,
)

images = torch.randn(32, 3, 8, 8)
targets = torch.randint(0, 10, (32,))
for epoch in range(3):
    for i in range(0, 32, 8):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[i : i + 8]), targets[i : i + 8])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
