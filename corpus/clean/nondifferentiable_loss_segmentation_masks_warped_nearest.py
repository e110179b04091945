"""Segmentation with random affine augmentation: the image is warped bilinearly, the label mask
with nearest-neighbour sampling so that class ids stay whole numbers. The grid is random, not
learned: nothing behind it is meant to train."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def random_affine(batch):
    angle = (torch.rand(batch) - 0.5) * math.pi / 6
    cos, sin = torch.cos(angle), torch.sin(angle)
    shift = (torch.rand(batch, 2) - 0.5) * 0.2
    return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)


def augment(image, mask):
    grid = F.affine_grid(random_affine(image.shape[0]), list(image.shape), align_corners=False)
    image = F.grid_sample(image, grid, mode="bilinear", align_corners=False)
    mask = F.grid_sample(mask.unsqueeze(1).float(), grid, mode="nearest", align_corners=False)
    return image, mask.squeeze(1).long()


def main():
    torch.manual_seed(0)
    images = torch.rand(64, 3, 16, 16)
    masks = (images.mean(1) > 0.5).long()
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 2, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(3):
        for x, y in zip(images.split(16), masks.split(16)):
            x, y = augment(x, y)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
