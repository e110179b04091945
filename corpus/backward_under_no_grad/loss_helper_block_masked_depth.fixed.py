# Depth completion from sparse samples: the loss only counts pixels that have ground truth.
import torch
import torch.nn as nn


def masked_l1(pred, target):
    # Pixels without ground truth are 0 in the target and must not count.
    valid = (target > 0).float()
    err = (pred - target).abs() * valid
    loss = err.sum() / valid.sum().clamp(min=1.0)
    return loss


class Completion(nn.Module):
    def __init__(self, width=12):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(2, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, 1, 1),
        )

    def forward(self, rgb_gray, sparse):
        return self.net(torch.cat([rgb_gray, sparse], dim=1))


torch.manual_seed(0)
depth = torch.rand(40, 1, 16, 16) * 5 + 1
gray = depth / 6 + 0.05 * torch.randn_like(depth)
keep = torch.rand_like(depth) < 0.1
sparse = depth * keep
target = depth * (torch.rand_like(depth) < 0.6)

model = Completion()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(5):
    for i in range(0, 40, 10):
        pred = model(gray[i:i + 10], sparse[i:i + 10])
        loss = masked_l1(pred, target[i:i + 10])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: masked L1 {loss.item():.4f}")
