# Land-cover classification of small four-band satellite tiles. The pipeline module builds the
# tiles, a learnable colour curve applied to each tile as it is loaded, and the loader; this script
# trains a small CNN together with the colour curve and prints the loss and the learned curve.
import torch
from torch import nn

from pipeline import ColorCurve, LandCoverTiles, make_loader


def build_model():
    return nn.Sequential(
        nn.Conv2d(4, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1, stride=2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4),
    )


def train(epochs=3):
    torch.manual_seed(0)
    curve = ColorCurve(4)
    tiles = LandCoverTiles(320, curve, seed=5)
    loader = make_loader(tiles, batch_size=32)
    model = build_model()
    optimizer = torch.optim.Adam([
        {"params": model.parameters(), "lr": 3e-3},
        {"params": curve.parameters(), "lr": 1e-2},
    ])
    for epoch in range(epochs):
        seen, total = 0, 0.0
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(y)
            total += loss.item() * len(y)
        print(f"epoch {epoch}: loss {total / seen:.3f}")
    with torch.no_grad():
        print("curve midpoints", curve(torch.full((4, 1, 1), 0.5)).flatten().tolist())


if __name__ == "__main__":
    train()
