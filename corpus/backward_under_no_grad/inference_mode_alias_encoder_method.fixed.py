import torch as T
from torch import nn


class FrozenEncoder(nn.Module):
    """A pretrained image encoder used as a fixed feature extractor."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.requires_grad_(False)

    @T.no_grad()
    def encode(self, images):
        return self.conv(images).flatten(1)


class LinearProbe(nn.Module):
    def __init__(self, encoder, n_classes):
        super().__init__()
        self.encoder = encoder
        self.fc = nn.Linear(16, n_classes)

    def forward(self, images):
        return self.fc(self.encoder.encode(images))


def main():
    T.manual_seed(4)
    images = T.randn(48, 1, 12, 12)
    labels = T.randint(0, 4, (48,))
    model = LinearProbe(FrozenEncoder(), 4)
    opt = T.optim.SGD(model.fc.parameters(), lr=0.1)
    for step in range(5):
        loss = nn.functional.cross_entropy(model(images), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(step, loss.item())


main()
