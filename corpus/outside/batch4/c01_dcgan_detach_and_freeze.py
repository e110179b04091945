"""DCGAN on synthetic 16x16 'ring' images.

D step uses fake.detach(); during the G step the discriminator is switched to
requires_grad=False so that no gradient buffers are filled for it.
"""
import torch
import torch.nn as nn

torch.manual_seed(0)
NZ, SIZE, BATCH, STEPS = 16, 16, 16, 25


def real_batch(n):
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    r = torch.randint(3, 7, (n, 1, 1)).float()
    d = ((yy - SIZE / 2) ** 2 + (xx - SIZE / 2) ** 2).sqrt()
    return ((d - r).abs() < 1.0).float().unsqueeze(1) * 2 - 1


def set_requires_grad(nets, requires_grad=False):
    for net in nets if isinstance(nets, list) else [nets]:
        for param in net.parameters():
            param.requires_grad = requires_grad


netG = nn.Sequential(
    nn.ConvTranspose2d(NZ, 32, 4, 1, 0, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),    # 4x4
    nn.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),    # 8x8
    nn.ConvTranspose2d(16, 1, 4, 2, 1, bias=False), nn.Tanh())                            # 16x16
netD = nn.Sequential(
    nn.Conv2d(1, 16, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(16, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(32, 1, 4, 1, 0, bias=False))

criterion = nn.BCEWithLogitsLoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
fixed_noise = torch.randn(8, NZ, 1, 1)

for i in range(STEPS):
    real = real_batch(BATCH)
    noise = torch.randn(BATCH, NZ, 1, 1)
    fake = netG(noise)

    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    set_requires_grad(netD, True)
    optimizerD.zero_grad()
    out_real = netD(real).view(-1)
    out_fake = netD(fake.detach()).view(-1)
    errD = criterion(out_real, torch.ones_like(out_real)) + criterion(out_fake, torch.zeros_like(out_fake))
    errD.backward()
    optimizerD.step()

    # (2) update G: maximize log(D(G(z))), D is frozen for this pass
    set_requires_grad(netD, False)
    optimizerG.zero_grad()
    out = netD(fake).view(-1)
    errG = criterion(out, torch.ones_like(out))
    errG.backward()
    optimizerG.step()

    if i % 5 == 0:
        print(f"[{i:2d}/{STEPS}] Loss_D {errD.item():.4f} Loss_G {errG.item():.4f}")

with torch.no_grad():
    samples = netG(fixed_noise).detach()
print("sample range:", samples.min().item(), samples.max().item())
