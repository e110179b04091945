"""A GoogLeNet-style classifier with an auxiliary classifier on an intermediate inception block.
In training, forward() returns the main logits and the auxiliary head's (already weighted) loss;
the training loop unpacks both and builds its loss from the logits alone."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Inception(nn.Module):
    def __init__(self, cin, c1, c3):
        super().__init__()
        self.b1 = nn.Conv2d(cin, c1, 1)
        self.b3 = nn.Sequential(nn.Conv2d(cin, c3, 1), nn.ReLU(), nn.Conv2d(c3, c3, 3, padding=1))

    def forward(self, x):
        return F.relu(torch.cat([self.b1(x), self.b3(x)], dim=1))


class InceptionAux(nn.Module):
    def __init__(self, cin, num_classes, weight=0.3):
        super().__init__()
        self.conv = nn.Conv2d(cin, 16, 1)
        self.fc = nn.Linear(16 * 4 * 4, num_classes)
        self.weight = weight

    def forward(self, x, target):
        x = F.relu(self.conv(F.adaptive_avg_pool2d(x, 4)))
        return self.weight * F.cross_entropy(self.fc(x.flatten(1)), target)


class MiniGoogLeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.inc3a = Inception(16, 8, 16)
        self.inc4a = Inception(24, 16, 16)
        self.aux1 = InceptionAux(24, num_classes)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x, target=None):
        x = self.inc3a(self.stem(x))
        aux_loss = None
        if self.training and target is not None:
            aux_loss = self.aux1(x, target)
        x = self.inc4a(x)
        logits = self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
        return logits, aux_loss


torch.manual_seed(0)
net = MiniGoogLeNet()
criterion = nn.CrossEntropyLoss()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
images, labels = torch.randn(32, 3, 16, 16), torch.randint(0, 10, (32,))
net.train()
for epoch in range(3):
    for i in range(0, 32, 8):
        x, y = images[i : i + 8], labels[i : i + 8]
        logits, aux_loss = net(x, y)
        loss = criterion(logits, y)
        opt.zero_grad()
        loss = loss + aux_loss
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
