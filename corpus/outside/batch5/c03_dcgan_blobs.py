"""DCGAN on synthetic 16x16 'blob' images.  D is trained on G(z).detach(); during the
G step D is switched to requires_grad=False (and switched back afterwards)."""
import torch
import torch.nn as nn

torch.manual_seed(0)

NZ, NGF, NDF, BATCH, ITERS = 16, 16, 16, 32, 15


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),
            nn.ConvTranspose2d(NGF, 1, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def set_requires_grad(net, flag):
    for p in net.parameters():
        p.requires_grad = flag


def real_batch():
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16), indexing="ij")
    c = torch.rand(BATCH, 2, 1, 1) - 0.5
    img = torch.exp(-((xx - c[:, :1]) ** 2 + (yy - c[:, 1:]) ** 2) / 0.1)
    return img * 2 - 1


netG, netD = Generator(), Discriminator()
netG.apply(weights_init)
netD.apply(weights_init)
criterion = nn.BCEWithLogitsLoss()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
fixed_noise = torch.randn(8, NZ, 1, 1)

for it in range(ITERS):
    real = real_batch()
    noise = torch.randn(BATCH, NZ, 1, 1)
    fake = netG(noise)

    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    set_requires_grad(netD, True)
    optD.zero_grad()
    errD_real = criterion(netD(real), torch.ones(BATCH))
    errD_fake = criterion(netD(fake.detach()), torch.zeros(BATCH))
    errD = errD_real + errD_fake
    errD.backward()
    optD.step()

    # (2) update G: maximize log(D(G(z))); D is not updated here
    set_requires_grad(netD, False)
    optG.zero_grad()
    errG = criterion(netD(fake), torch.ones(BATCH))
    errG.backward()
    optG.step()

    if it % 5 == 0:
        with torch.no_grad():
            sample_std = netG(fixed_noise).std().item()
        print(f"[{it}/{ITERS}] Loss_D {errD.item():.4f} Loss_G {errG.item():.4f} sample std {sample_std:.3f}")
