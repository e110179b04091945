# Texture classification on synthetic 12x12 images (horizontal stripes, vertical stripes or noise):
# a small CNN's feature maps are pooled by a hand-written Function (a learned per-channel gain
# times the spatial mean) that keeps the input's shape on ctx and saves only tensors; a linear
# head classifies the pooled features.
import torch
from torch import nn

torch.manual_seed(0)


class GainedMeanPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, features, gain):
        ctx.shape = features.shape
        mean = features.mean(dim=(2, 3))
        ctx.save_for_backward(mean, gain)
        return mean * gain

    @staticmethod
    def backward(ctx, grad_out):
        mean, gain = ctx.saved_tensors
        batch, channels, height, width = ctx.shape
        grad_features = (grad_out * gain / (height * width))[:, :, None, None].expand(ctx.shape)
        return grad_features, (grad_out * mean).sum(0)


class TextureNet(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.gain = nn.Parameter(torch.ones(channels))
        self.head = nn.Linear(channels, 3)

    def forward(self, images):
        return self.head(GainedMeanPool.apply(self.conv(images), self.gain))


def textures(n):
    labels = torch.randint(0, 3, (n,))
    rows = torch.arange(12).float()
    stripes = torch.sin(rows * 2.0)
    images = torch.randn(n, 1, 12, 12) * 0.5
    images[labels == 0] += stripes[None, None, :, None]
    images[labels == 1] += stripes[None, None, None, :]
    return images, labels


images, labels = textures(600)
model = TextureNet()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(6):
    order = torch.randperm(600)
    for i in range(0, 600, 100):
        batch = order[i:i + 100]
        loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
accuracy = (model(images).argmax(1) == labels).float().mean().item()
print(f"loss {loss.item():.4f}, accuracy {accuracy:.3f}")
