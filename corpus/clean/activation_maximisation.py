"""Activation maximisation: optimise an input image to excite one channel of a fixed CNN."""
import torch
import torch.nn as nn

torch.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
cnn.eval()

img = torch.randn(1, 3, 32, 32) * 0.01
img.requires_grad_(True)
optimizer = torch.optim.Adam([img], lr=0.05)
channel = 7
for step in range(10):
    optimizer.zero_grad()
    act = cnn(img)[0, channel]
    loss = -act.mean() + 1e-3 * img.pow(2).sum()
    loss.backward()
    optimizer.step()
    print(step, -loss.item())
