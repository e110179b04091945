"""Binary fine-tune of a small residual CNN: SGD and a one-cycle schedule are set up at the top of
the script, then the 10-way `fc` is replaced by a 2-way one."""
import torch
from torch import nn, optim
from torch.optim.lr_scheduler import OneCycleLR

EPOCHS, BATCHES = 3, 4


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels),
        )

    def forward(self, x):
        return torch.relu(x + self.body(x))


class TinyResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.block = Residual(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.block(self.stem(x))).flatten(1))


torch.manual_seed(11)
model = TinyResNet()
optimizer = optim.SGD(model.parameters(), lr=0.02, momentum=0.9, nesterov=True)
scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=EPOCHS * BATCHES)
criterion = nn.CrossEntropyLoss()

model.fc = nn.Linear(model.fc.in_features, 2)

images = torch.randn(BATCHES, 16, 3, 12, 12)
labels = (images.mean(dim=(2, 3, 4)) > 0).long()
for epoch in range(EPOCHS):
    for x, y in zip(images, labels):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}, lr {scheduler.get_last_lr()[0]:.4f}")
