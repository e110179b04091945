# Keypoint regression against a grid of anchors: a frozen "anchor" network (kept fixed, outside
# the optimizer) places the anchors once when the Trainer starts fitting; each batch predicts
# offsets from them.
import torch
import torch.nn as nn
import torch.nn.functional as F


class OffsetTrainer:
    def __init__(self, net, anchor_net, grid):
        self.net = net
        self.anchor_net = anchor_net
        self.grid = grid
        self.optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)

    def fit(self, images, keypoints, epochs=6):
        with torch.no_grad():
            self.anchors = self.anchor_net(self.grid)
        for epoch in range(epochs):
            offsets = self.net(images).view(-1, self.anchors.shape[0], 2)
            pred = self.anchors[None] + offsets
            loss = F.smooth_l1_loss(pred, keypoints)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            print(f"epoch {epoch} loss {loss.item():.4f}")


torch.manual_seed(0)
grid = torch.stack(torch.meshgrid(torch.linspace(0, 1, 3), torch.linspace(0, 1, 3), indexing="ij"), -1).view(9, 2)
anchor_net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 18))
images = torch.randn(24, 8, 8)
keypoints = torch.rand(24, 9, 2)
OffsetTrainer(net, anchor_net, grid).fit(images, keypoints)
