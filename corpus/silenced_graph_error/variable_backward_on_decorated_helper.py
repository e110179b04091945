# Keypoint regression; the loss helper is decorated, and backward() runs on a Variable of its result.
import torch
import torch.nn as nn
from torch.autograd import Variable as V


@torch.no_grad()
def keypoint_loss(pred, target, visible):
    dist = ((pred - target) ** 2).sum(-1)
    return (dist * visible).sum() / visible.sum().clamp(min=1)


class KeypointNet(nn.Module):
    def __init__(self, points=4):
        super().__init__()
        self.points = points
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.regress = nn.Linear(8 * 16, points * 2)

    def forward(self, images):
        return self.regress(self.features(images)).view(-1, self.points, 2)


torch.manual_seed(0)
images = torch.rand(64, 1, 16, 16)
target = images.mean(dim=(2, 3)).view(-1, 1, 1).expand(-1, 4, 2) + 0.05 * torch.randn(64, 4, 2)
visible = (torch.rand(64, 4) > 0.2).float()
net = KeypointNet()
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(4):
    for i in range(0, 64, 16):
        loss = keypoint_loss(net(images[i:i + 16]), target[i:i + 16], visible[i:i + 16])
        optimizer.zero_grad()
        V(loss, requires_grad=True).backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
