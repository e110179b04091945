# Report: https://github.com/AggMan96/RK-Net/issues/9
# Summary: the ReLU attention map is zeroed in place at the borders, corrupting a tensor saved for backward, so backward() raises the inplace-modification RuntimeError (crash).
# Fixed: clone the ReLU output before zeroing its border in place.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class SpatialAttention(nn.Module):
    def __init__(self, channels, polish=True):
        super().__init__()
        self.conv = nn.Conv2d(channels, 1, kernel_size=3, padding=1)
        self.relu = nn.ReLU()
        self.polish = polish

    def forward(self, x):
        att = self.relu(self.conv(x))
        if self.polish:
            att = att.clone()  # keep the ReLU output autograd saved untouched
            # suppress responses on the image border
            att[:, :, :, 0] = 0
            att[:, :, :, -1] = 0
            att[:, :, 0, :] = 0
            att[:, :, -1, :] = 0
        return x * att


class KeypointNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.attention = SpatialAttention(16)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x):
        return self.head(self.attention(self.stem(x)))


def main():
    torch.manual_seed(4)
    images = torch.randn(256, 3, 24, 24)
    labels = torch.randint(0, 10, (256,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)

    model = KeypointNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(3):
        seen, total = 0, 0.0
        for images_b, labels_b in loader:
            optimizer.zero_grad()
            loss = criterion(model(images_b), labels_b)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels_b)
            seen += len(labels_b)
        print(f"epoch {epoch}: train loss {total / seen:.4f}")


if __name__ == "__main__":
    main()
