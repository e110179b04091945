# Classifies small grayscale inspection tiles as defective or not: a CNN whose blocks carry a
# squeeze-and-excitation gate (global pooling, a normalised bottleneck, a sigmoid per channel).
# The tiles are split into training and validation sets; validation accuracy is printed per epoch.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(1)
tiles = torch.randn(401, 1, 16, 16)
labels = (tiles[:, :, 4:12, 4:12].mean(dim=(1, 2, 3)) > 0).long()
train_set, val_set = random_split(TensorDataset(tiles, labels), [321, 80], generator=torch.Generator().manual_seed(1))

train_loader = DataLoader(
    train_set,
    batch_size=32,
    shuffle=True,
    drop_last=True,
)
val_loader = DataLoader(
    val_set,
    batch_size=32,
)


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.squeeze = nn.Conv2d(channels, channels // reduction, 1, bias=False)
        self.norm = nn.BatchNorm2d(channels // reduction)
        self.excite = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        gate = torch.relu(self.norm(self.squeeze(self.pool(x))))
        return x * torch.sigmoid(self.excite(gate))


def block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), SqueezeExcite(c_out), nn.MaxPool2d(2))


model = nn.Sequential(block(1, 16), block(16, 32), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for epoch in range(5):
    model.train()
    for images, target in train_loader:
        loss = criterion(model(images), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for images, target in val_loader:
            correct += (model(images).argmax(1) == target).sum().item()
    print(f"epoch {epoch}: train loss {loss.item():.4f}, val accuracy {correct / len(val_set):.3f}")
