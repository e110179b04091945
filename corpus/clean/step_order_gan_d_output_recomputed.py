"""DCGAN-style loop in the order of the PyTorch tutorial: the discriminator steps on a detached
fake, then its output on the fake is computed again for the generator's loss."""
import torch
import torch.nn as nn

torch.manual_seed(5)
netG = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
netD = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
optimizerG = torch.optim.Adam(netG.parameters(), lr=1e-3, betas=(0.5, 0.999))
optimizerD = torch.optim.Adam(netD.parameters(), lr=1e-3, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()

for i in range(100):
    real = torch.randn(64, 2) * 0.5 + torch.tensor([1.0, -1.0])
    fake = netG(torch.randn(64, 8))

    optimizerD.zero_grad()
    output = netD(fake.detach())
    errD = criterion(netD(real), torch.ones(64, 1)) + criterion(output, torch.zeros(64, 1))
    errD.backward()
    optimizerD.step()

    optimizerG.zero_grad()
    output = netD(fake)
    errG = criterion(output, torch.ones(64, 1))
    errG.backward()
    optimizerG.step()

    if i % 25 == 0:
        print(i, errD.item(), errG.item())
