# Super-resolution: a small upsampling CNN trained with a Charbonnier loss module.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class CharbonnierLoss(nn.Module):
    """A smooth L1: sqrt((x - y)^2 + eps^2), averaged over pixels."""

    def __init__(self, eps=1e-3):
        super().__init__()
        self.eps = eps

    @torch.no_grad()
    def forward(self, sr, hr):
        diff = sr - hr
        return torch.sqrt(diff * diff + self.eps ** 2).mean()


class TinySR(nn.Module):
    def __init__(self, channels=16, scale=2):
        super().__init__()
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.PReLU())
        self.tail = nn.Conv2d(channels, 3 * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, lr):
        base = F.interpolate(lr, scale_factor=2, mode="bilinear", align_corners=False)
        return base + self.shuffle(self.tail(self.body(self.head(lr))))


torch.manual_seed(0)
hr = torch.rand(48, 3, 16, 16)
lr = F.avg_pool2d(hr, 2)
loader = DataLoader(TensorDataset(lr, hr), batch_size=12, shuffle=True)

model = TinySR()
criterion = CharbonnierLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(4):
    for lr_batch, hr_batch in loader:
        sr = model(lr_batch)
        loss = criterion(sr, hr_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: charbonnier {loss.item():.4f}")
