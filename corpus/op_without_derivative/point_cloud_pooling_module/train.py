"""Classifies small 2-D point clouds (ring against filled disc) of varying size with a per-point
MLP, a pooling layer that sums each cloud's points, and a linear head; the layers live in
layers.py."""
import math

import torch
from torch import nn

from layers import PointMLP, SegmentSumPool

torch.manual_seed(0)


def make_batch(num_clouds):
    sizes = torch.randint(20, 60, (num_clouds,))
    labels = torch.randint(0, 2, (num_clouds,))
    cloud_of = torch.repeat_interleave(torch.arange(num_clouds), sizes)
    angle = torch.rand(len(cloud_of)) * 2 * math.pi
    radius = torch.where(labels[cloud_of] == 0, 1 + 0.05 * torch.randn(len(cloud_of)), torch.rand(len(cloud_of)).sqrt())
    points = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
    return points, cloud_of, labels


class PointClassifier(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.encoder = PointMLP(2, hidden)
        self.pool = SegmentSumPool()
        self.head = nn.Linear(hidden, 2)

    def forward(self, points, cloud_of, num_clouds):
        return self.head(self.pool(self.encoder(points), cloud_of, num_clouds))


model = PointClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for step in range(200):
    points, cloud_of, labels = make_batch(16)
    loss = nn.functional.cross_entropy(model(points, cloud_of, 16), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 40 == 0:
        print(f"step {step}: loss {loss.item():.3f}")
