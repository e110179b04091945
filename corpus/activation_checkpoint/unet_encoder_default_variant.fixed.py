"""Denoising conv autoencoder; the encoder blocks are recomputed in backward to save memory."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)


def conv_block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.GroupNorm(4, c_out), nn.SiLU())


class Denoiser(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.down1 = conv_block(1, width)
        self.down2 = conv_block(width, 2 * width)
        self.up1 = conv_block(2 * width, width)
        self.out = nn.Conv2d(width, 1, 1)

    def forward(self, noisy):
        h1 = checkpoint(self.down1, noisy, use_reentrant=False)
        h2 = checkpoint(self.down2, F.avg_pool2d(h1, 2))
        u = F.interpolate(h2, scale_factor=2.0, mode="nearest")
        return noisy - self.out(self.up1(u) + h1)


def clean_images(n):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16), indexing="ij")
    centre = torch.rand(n, 2, 1, 1) - 0.5
    return (((yy - centre[:, :1]) ** 2 + (xx - centre[:, 1:]) ** 2) < 0.2).float()


net = Denoiser()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)

for it in range(200):
    target = clean_images(16)
    noisy = target + 0.3 * torch.randn_like(target)
    loss = F.mse_loss(net(noisy), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 50 == 0:
        print(it, round(loss.item(), 4))
