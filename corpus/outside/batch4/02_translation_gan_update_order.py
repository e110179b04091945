"""Paired image-to-image translation (pix2pix-style) on synthetic 16x16 images.

Domain A: blurred blobs, domain B: the same blobs sharpened and inverted.
Generator: small conv encoder/decoder.  Discriminator: PatchGAN.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
device = torch.device("cpu")
BATCH, SIZE, STEPS = 8, 16, 25
LAMBDA_L1 = 10.0


def sample_pair(n):
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    cx = torch.randint(3, SIZE - 3, (n, 1, 1)).float()
    cy = torch.randint(3, SIZE - 3, (n, 1, 1)).float()
    d2 = (xx[None] - cx) ** 2 + (yy[None] - cy) ** 2
    real_A = torch.exp(-d2 / 12.0).unsqueeze(1) * 2 - 1
    real_B = 1 - 2 * (d2 < 9).float().unsqueeze(1)
    return real_A.to(device), real_B.to(device)


def conv_block(cin, cout, down=True):
    conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=False) if down else nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


class Generator(nn.Module):
    def __init__(self, ngf=16):
        super().__init__()
        self.down1 = conv_block(1, ngf)
        self.down2 = conv_block(ngf, ngf * 2)
        self.up1 = conv_block(ngf * 2, ngf, down=False)
        self.up2 = nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1)

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(d1)
        u1 = self.up1(d2)
        return torch.tanh(self.up2(torch.cat([u1, d1], 1)))


class PatchDiscriminator(nn.Module):
    def __init__(self, ndf=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, 1, 3, 1, 1),
        )

    def forward(self, x):
        return self.net(x)


netG = Generator().to(device)
netD = PatchDiscriminator().to(device)
optimizer_G = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
criterionGAN = nn.MSELoss()       # LSGAN
criterionL1 = nn.L1Loss()

for step in range(STEPS):
    real_A, real_B = sample_pair(BATCH)
    fake_B = netG(real_A)

    pred_real = netD(real_B)
    pred_fake = netD(fake_B)
    loss_D = 0.5 * (criterionGAN(pred_real, torch.ones_like(pred_real))
                    + criterionGAN(pred_fake, torch.zeros_like(pred_fake)))
    loss_G_GAN = criterionGAN(pred_fake, torch.ones_like(pred_fake))
    loss_G = loss_G_GAN + LAMBDA_L1 * criterionL1(fake_B, real_B)

    optimizer_D.zero_grad()
    loss_D.backward(retain_graph=True)
    optimizer_D.step()

    optimizer_G.zero_grad()
    loss_G.backward()
    optimizer_G.step()

    if step % 5 == 0:
        print(f"[{step:02d}] loss_D {loss_D.item():.4f}  loss_G {loss_G.item():.4f}")

with torch.no_grad():
    a, b = sample_pair(4)
    print("eval L1:", F.l1_loss(netG(a), b).item())
