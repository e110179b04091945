"""pix2pix/CycleGAN style: the discriminator is frozen during the generator's step and thawed for
its own, through a helper that takes the flag as a variable. Correct: both nets train."""
import torch
import torch.nn as nn


def set_requires_grad(nets, requires_grad=False):
    if not isinstance(nets, (list, tuple)):
        nets = [nets]
    for net in nets:
        for param in net.parameters():
            param.requires_grad = requires_grad


torch.manual_seed(0)
netG = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
netD = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
optimizer_G = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()
real_data = torch.randn(256, 2) * 0.5 + 2.0

for iteration in range(10):
    real = real_data[torch.randint(0, 256, (32,))]
    fake = netG(torch.randn(32, 8))

    set_requires_grad(netD, False)  # D is held still while G learns to fool it
    optimizer_G.zero_grad()
    verdict = netD(fake)
    loss_G = criterion(verdict, torch.ones_like(verdict))
    loss_G.backward()
    optimizer_G.step()

    set_requires_grad(netD, True)
    optimizer_D.zero_grad()
    on_real, on_fake = netD(real), netD(fake.detach())
    loss_D = 0.5 * (criterion(on_real, torch.ones_like(on_real)) + criterion(on_fake, torch.zeros_like(on_fake)))
    loss_D.backward()
    optimizer_D.step()
