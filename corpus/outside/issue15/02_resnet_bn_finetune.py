# Fine-tune a small "pretrained" ResNet to a new domain by adapting its batch-norm layers and its
# classifier; the convolutions keep their pretrained values.
import torch
import torch.nn as nn


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class TinyResNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(Residual(16), Residual(16), Residual(16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(16, classes)

    def forward(self, x):
        return self.classifier(self.pool(self.blocks(self.stem(x))).flatten(1))


def pretrained_weights():
    torch.manual_seed(1)
    return TinyResNet().state_dict()


torch.manual_seed(0)
model = TinyResNet()
model.load_state_dict(pretrained_weights())

for param in model.parameters():
    param.requires_grad = False
for module in model.modules():
    if isinstance(module, nn.BatchNorm2d):
        for param in module.parameters():
            param.requires_grad = True

optimizer = torch.optim.Adam(model.classifier.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
inputs = torch.randn(64, 3, 12, 12) + 0.5
targets = torch.randint(0, 5, (64,))

model.train()
for step in range(32):
    batch = slice((step * 16) % 64, (step * 16) % 64 + 16)
    optimizer.zero_grad()
    loss = criterion(model(inputs[batch]), targets[batch])
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
