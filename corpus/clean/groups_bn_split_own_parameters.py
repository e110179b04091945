"""ResNet-style network: batch-norm parameters without weight decay. Each module gives only its own
parameters (recurse=False), so the walk over modules() sees every parameter once."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(x + self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.blocks = nn.Sequential(Block(8), Block(8))
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean(dim=(2, 3)))


def separate_bn_params(model):
    bn, others = [], []
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            bn.extend(module.parameters(recurse=False))
        else:
            others.extend(module.parameters(recurse=False))
    return bn, others


model = Net()
bn, others = separate_bn_params(model)
optimizer = optim.SGD([{"params": others, "weight_decay": 5e-4}, {"params": bn}], lr=0.05, momentum=0.9)

images = torch.randn(16, 3, 8, 8)
labels = torch.randint(0, 10, (16,))
for epoch in range(3):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    print(epoch, loss.item())
