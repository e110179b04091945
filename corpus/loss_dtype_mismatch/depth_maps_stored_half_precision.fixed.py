# Estimates per-pixel depth from small grayscale renderings of tilted planes with a box on them.
# The synthetic depth maps are kept in a float16 NumPy array to halve their memory, as a larger
# set would be on disk; a small fully convolutional network predicts the depth map and is trained
# with a Huber loss summed over pixels and averaged over the batch.
import numpy as np
import torch
from torch import nn


def render_scenes(n, size, rng):
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    depths = np.empty((n, size, size), dtype=np.float16)
    for k in range(n):
        tilt_x, tilt_y, base = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(2, 4)
        depth = base + 0.5 * tilt_x * xx + 0.5 * tilt_y * yy
        x0, y0 = rng.integers(2, size - 10, 2)
        depth[y0:y0 + 8, x0:x0 + 8] -= 0.8
        shade = 1.0 / depth + 0.05 * np.sin(9 * xx + 5 * yy)
        images[k, 0] = shade + rng.normal(0, 0.01, shade.shape)
        depths[k] = depth
    return images, depths


rng = np.random.default_rng(21)
images, depths = render_scenes(160, 20, rng)
images = torch.from_numpy(images)
depth = torch.from_numpy(depths)

torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
    nn.Conv2d(16, 16, 3, padding=2, dilation=2), nn.ReLU(),
    nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
    nn.Conv2d(16, 1, 1),
)
criterion = nn.HuberLoss(reduction="sum", delta=0.25)
optimizer = torch.optim.Adam(net.parameters(), lr=5e-3)

if __name__ == "__main__":
    batch_size = 32
    for epoch in range(4):
        order = torch.randperm(len(images))
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            loss = criterion(net(images[idx]).squeeze(1), depth[idx].float()) / len(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: huber per map {loss.item():.3f}")
