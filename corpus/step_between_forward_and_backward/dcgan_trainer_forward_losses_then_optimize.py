"""A small DCGAN on 16x16 blobs with a trainer class: `forward_losses` returns both losses,
`optimize` applies them (D with gradient clipping)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
NZ = 8


def blobs(n, size=16):
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    cy, cx = torch.rand(n, 1, 1) * size, torch.rand(n, 1, 1) * size
    return torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0).unsqueeze(1) * 2 - 1


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(NZ, 32 * 4 * 4)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 32, 4, 4))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(32 * 4 * 4, 1),
        )

    def forward(self, x):
        return self.body(x)


class GANTrainer:
    def __init__(self, netG, netD, lr=2e-4):
        self.netG, self.netD = netG, netD
        self.optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(0.5, 0.999))
        self.optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(0.5, 0.999))

    def forward_losses(self, real):
        fake = self.netG(torch.randn(real.size(0), NZ))
        out_real, out_fake = self.netD(real), self.netD(fake.detach())
        errD = F.softplus(-out_real).mean() + F.softplus(out_fake).mean()
        errG = F.softplus(-self.netD(fake)).mean()
        return errD, errG

    def optimize(self, g_loss, d_loss):
        self.optD.zero_grad()
        d_loss.backward()
        nn.utils.clip_grad_norm_(self.netD.parameters(), 1.0)
        self.optD.step()
        self.optG.zero_grad()
        g_loss.backward()
        self.optG.step()


def train_epoch(trainer, batches):
    for real in batches:
        loss_d, loss_g = trainer.forward_losses(real)
        trainer.optimize(loss_g, loss_d)
    return loss_d.item(), loss_g.item()


trainer = GANTrainer(Generator(), Discriminator())
data = [blobs(32) for _ in range(6)]
for epoch in range(5):
    d, g = train_epoch(trainer, data)
    print(f"epoch {epoch}: D {d:.3f}  G {g:.3f}")
