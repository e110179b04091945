"""DCGAN-style loop on 2-D points: the generator's loss goes through the discriminator and adds to
its gradients after its step; netD.zero_grad() clears them before the discriminator's next step."""
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(8)
nz = 4
netG = nn.Sequential(nn.Linear(nz, 32), nn.ReLU(), nn.Linear(32, 2))
netD = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

ring = torch.randn(512, 2)
ring = ring / ring.norm(dim=1, keepdim=True)

for epoch in range(3):
    for i in range(0, 512, 64):
        real = ring[i : i + 64]
        b = real.size(0)
        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        errD_real = criterion(netD(real), torch.ones(b, 1))
        errD_real.backward()
        fake = netG(torch.randn(b, nz))
        errD_fake = criterion(netD(fake.detach()), torch.zeros(b, 1))
        errD_fake.backward()
        optimizerD.step()
        # (2) update G: maximize log(D(G(z)))
        netG.zero_grad()
        errG = criterion(netD(fake), torch.ones(b, 1))
        errG.backward()
        optimizerG.step()
    print(f"epoch {epoch}: D {(errD_real + errD_fake).item():.3f} G {errG.item():.3f}")
