# Point-cloud classifier whose head is a LazyLinear: its input size comes from the first batch.
import torch
import torch.nn as nn


class PointNetLite(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.point_mlp = nn.Sequential(nn.Conv1d(3, 32, 1), nn.ReLU(), nn.Conv1d(32, 64, 1), nn.ReLU())
        self.head = nn.LazyLinear(classes)

    def forward(self, points):
        features = self.point_mlp(points.transpose(1, 2)).max(dim=2).values
        return self.head(features)


torch.manual_seed(0)
clouds = torch.randn(96, 50, 3)
labels = (clouds[:, :, 0].mean(1) > 0).long() + 2 * (clouds[:, :, 2].std(1) > 1).long()

model = PointNetLite()
model(clouds[:2])  # a dry run sizes the lazy head before the optimizer sees its parameters
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for i in range(0, 96, 32):
        loss = nn.functional.cross_entropy(model(clouds[i:i + 32]), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
