"""Two layers built at every call that are right as they are.

The denoiser blurs its input with a Gaussian filter built in forward() from fixed values and frozen:
it is a fixed operation, not a layer to learn. The evaluation trains a fresh linear probe each time,
with an optimizer of its own, on the frozen features.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def gaussian_kernel(size=5, sigma=1.0):
    ax = torch.arange(size) - size // 2
    g = torch.exp(-(ax.float() ** 2) / (2 * sigma ** 2))
    k = torch.outer(g, g)
    return (k / k.sum()).expand(1, 1, size, size)


class Denoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1))

    def forward(self, noisy):
        blur = nn.Conv2d(1, 1, 5, padding=2, bias=False)
        blur.weight.data.copy_(gaussian_kernel())
        blur.requires_grad_(False)
        return blur(noisy) + self.net(noisy)


def linear_probe(features, labels, steps=20):
    probe = nn.Linear(features.size(1), 2)
    opt = torch.optim.SGD(probe.parameters(), lr=0.5)
    for _ in range(steps):
        loss = F.cross_entropy(probe(features), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (probe(features).argmax(1) == labels).float().mean().item()


torch.manual_seed(0)
model = Denoiser()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
clean = torch.rand(16, 1, 12, 12)
for epoch in range(3):
    for i in range(0, 16, 8):
        target = clean[i:i + 8]
        loss = F.mse_loss(model(target + 0.2 * torch.randn_like(target)), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        feats = model.net[:2](clean).flatten(1)
    print(epoch, loss.item(), linear_probe(feats, (clean.mean((1, 2, 3)) > 0.5).long()))
