"""Layers for the point-cloud classifier: a shared per-point MLP and a pooling layer that averages the
points of each cloud (clouds of different sizes, concatenated, with a cloud index per point)."""
import torch
from torch import nn


class PointMLP(nn.Module):
    def __init__(self, d_in, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())

    def forward(self, points):
        return self.net(points)


class SegmentSumPool(nn.Module):
    def forward(self, features, cloud_of, num_clouds):
        pooled = features.new_zeros(num_clouds, features.shape[1])
        index = cloud_of[:, None].expand_as(features)
        pooled.scatter_add_(0, index, features)
        counts = torch.bincount(cloud_of, minlength=num_clouds).clamp(min=1)
        return pooled / counts[:, None]
