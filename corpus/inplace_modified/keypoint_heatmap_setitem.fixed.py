# Keypoint heatmap regression: invisible keypoints must predict an empty map.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
K = 5


class HeatmapHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.logits = nn.Conv2d(16, K, 1)

    def forward(self, image, visible):
        probs = torch.sigmoid(self.logits(self.body(image)))
        probs = probs.clone()
        probs[~visible] = 0.0
        return probs


def make_batch(n=8, size=16):
    images = torch.randn(n, 3, size, size)
    targets = torch.rand(n, K, size, size)
    visible = torch.rand(n, K) > 0.3
    targets[~visible] = 0.0
    return images, targets, visible


net = HeatmapHead()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
for it in range(12):
    images, targets, visible = make_batch()
    pred = net(images, visible)
    loss = F.binary_cross_entropy(pred, targets)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 4 == 0:
        print(it, float(loss))
