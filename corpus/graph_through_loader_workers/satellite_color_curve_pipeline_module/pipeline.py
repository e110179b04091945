"""Data pipeline for the land-cover tiles: synthetic four-band tiles (water, forest, field, town),
a learnable piecewise-linear colour curve per band, and the loader that batches them."""
import torch
import torch.utils.data
from torch import nn


class ColorCurve(nn.Module):
    """A monotone tone curve per band: `knots` increments, softplus-positive, cumulated and scaled."""

    def __init__(self, bands, knots=8):
        super().__init__()
        self.knots = knots
        self.steps = nn.Parameter(torch.zeros(bands, knots))

    def forward(self, tile):
        heights = nn.functional.softplus(self.steps).cumsum(-1)
        heights = heights / heights[:, -1:]
        pos = tile.clamp(0, 1) * (self.knots - 1)
        low = pos.floor().long().clamp(max=self.knots - 2)
        frac = pos - low
        flat = low.flatten(1)
        below = heights.gather(1, flat).view_as(tile)
        above = heights.gather(1, flat + 1).view_as(tile)
        return below + frac * (above - below)


class LandCoverTiles(torch.utils.data.Dataset):
    MEANS = torch.tensor([[0.1, 0.2, 0.4, 0.05], [0.2, 0.5, 0.2, 0.7], [0.5, 0.6, 0.3, 0.5], [0.6, 0.6, 0.6, 0.3]])

    def __init__(self, n, curve, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 4, (n,), generator=g)
        texture = 0.15 * torch.randn(n, 4, 12, 12, generator=g)
        self.tiles = (self.MEANS[self.labels][:, :, None, None] ** 1.8 + texture).clamp(0, 1)
        self.curve = curve

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.curve(self.tiles[i]), self.labels[i]


def make_loader(dataset, batch_size=32):
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=2,
    )
