# Binary segmentation of bright blobs with a tiny encoder-decoder.
import torch
import torch.nn as nn

from losses import dice_bce_loss


class TinyUNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.mid = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU())
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(width, 1, 3, padding=1))

    def forward(self, x):
        return self.up(self.mid(self.down(x)))


def make_blobs(n, size=16):
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centres = torch.randint(3, size - 3, (n, 2))
    masks = (((yy - centres[:, 0, None, None]) ** 2 + (xx - centres[:, 1, None, None]) ** 2) < 9).float()
    images = masks + 0.3 * torch.randn(n, size, size)
    return images.unsqueeze(1), masks.unsqueeze(1)


torch.manual_seed(0)
images, masks = make_blobs(64)
net = TinyUNet()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for epoch in range(4):
    for i in range(0, 64, 16):
        loss = dice_bce_loss(net(images[i:i + 16]), masks[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: dice+bce {loss.item():.4f}")
