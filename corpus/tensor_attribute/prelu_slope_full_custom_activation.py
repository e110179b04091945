"""A small CNN on synthetic 8x8 images with a per-channel leaky activation of its own."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class ChannelLeaky(nn.Module):
    """PReLU by hand: x for x > 0, slope * x below, one slope per channel."""

    def __init__(self, channels, init=0.25):
        super().__init__()
        self.slope = torch.full((channels,), init)

    def forward(self, x):
        slope = self.slope.view(1, -1, 1, 1)
        return torch.where(x > 0, x, slope * x)


class SmallNet(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), ChannelLeaky(8),
            nn.Conv2d(8, 16, 3, padding=1), ChannelLeaky(16),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


torch.manual_seed(0)
images = torch.randn(256, 1, 8, 8)
labels = (images.mean(dim=(1, 2, 3)) > 0).long() + 2 * (images[:, :, :4].mean(dim=(1, 2, 3)) > 0).long()
loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)

net = SmallNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    for xb, yb in loader:
        opt.zero_grad()
        loss = criterion(net(xb), yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
