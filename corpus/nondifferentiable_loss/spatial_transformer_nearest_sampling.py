import torch
import torch.nn.functional as F
from torch import nn


class SpatialTransformerClassifier(nn.Module):
    """Digits are shifted and rotated: a localisation net predicts an affine transform that
    undoes it, and the classifier sees the re-sampled image."""

    def __init__(self, classes=10):
        super().__init__()
        self.localise = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 32), nn.ReLU(), nn.Linear(32, 6))
        nn.init.zeros_(self.localise[-1].weight)
        with torch.no_grad():
            self.localise[-1].bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))
        self.classify = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x):
        theta = self.localise(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        # keep the pixel values crisp: nearest-neighbour resampling
        x = F.grid_sample(x, grid, mode="nearest", align_corners=False)
        return self.classify(x)


def main():
    torch.manual_seed(0)
    images = torch.rand(256, 1, 16, 16)
    labels = torch.randint(0, 10, (256,))
    model = SpatialTransformerClassifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        for x, y in zip(images.split(32), labels.split(32)):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
