"""Tiny SRGAN-style super-resolution training (x2 upscaling) on synthetic patches."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)

UPSCALE = 2
CROP = 16
BATCH = 8
N_ITERS = 12


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(ch)
        self.prelu = nn.PReLU()
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(ch)

    def forward(self, x):
        r = self.prelu(self.bn1(self.conv1(x)))
        r = self.bn2(self.conv2(r))
        return x + r


class Generator(nn.Module):
    def __init__(self, scale, ch=16, n_blocks=2):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(3, ch, 5, padding=2), nn.PReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(ch) for _ in range(n_blocks)])
        up = []
        for _ in range(int(math.log2(scale))):
            up += [nn.Conv2d(ch, ch * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU()]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Conv2d(ch, 3, 5, padding=2)

    def forward(self, x):
        h = self.head(x)
        h = h + self.blocks(h)
        return (torch.tanh(self.tail(self.upsample(h))) + 1) / 2


class Discriminator(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, ch, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(ch, ch, 3, stride=2, padding=1), nn.BatchNorm2d(ch), nn.LeakyReLU(0.2),
            nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(ch * 2, 1, 1),
        )

    def forward(self, x):
        return torch.sigmoid(self.net(x).view(x.size(0)))


class GeneratorLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.mse = nn.MSELoss()

    def forward(self, out_labels, out_images, target_images):
        adversarial_loss = torch.mean(1 - out_labels)
        image_loss = self.mse(out_images, target_images)
        tv = torch.mean(torch.abs(out_images[:, :, 1:, :] - out_images[:, :, :-1, :]))
        return image_loss + 0.001 * adversarial_loss + 2e-8 * tv


def make_batch():
    hr = torch.rand(BATCH, 3, CROP, CROP)
    lr = F.interpolate(hr, scale_factor=1 / UPSCALE, mode="bicubic", align_corners=False).clamp(0, 1)
    return lr, hr


netG = Generator(UPSCALE)
netD = Discriminator()
generator_criterion = GeneratorLoss()

optimizerG = optim.Adam(netG.parameters(), lr=1e-3)
optimizerD = optim.Adam(netD.parameters(), lr=1e-3)

for it in range(N_ITERS):
    netG.train()
    netD.train()
    lr_img, real_img = make_batch()
    fake_img = netG(lr_img)

    ############################
    # (1) Update D network: maximize D(x)-1-D(G(z))
    ###########################
    netD.zero_grad()
    real_out = netD(real_img).mean()
    fake_out = netD(fake_img).mean()
    d_loss = 1 - real_out + fake_out
    d_loss.backward(retain_graph=True)
    optimizerD.step()

    ############################
    # (2) Update G network: minimize 1-D(G(z)) + Perception Loss + Image Loss + TV Loss
    ###########################
    netG.zero_grad()
    g_loss = generator_criterion(fake_out, fake_img, real_img)
    g_loss.backward()
    optimizerG.step()

    if it % 4 == 0:
        print(f"[{it}/{N_ITERS}] Loss_D: {d_loss.item():.4f} Loss_G: {g_loss.item():.4f} "
              f"D(x): {real_out.item():.4f} D(G(z)): {fake_out.item():.4f}")
