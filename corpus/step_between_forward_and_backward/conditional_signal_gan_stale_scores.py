"""Conditional GAN that maps noisy 1-D signals to clean ones (pix2pix on sequences)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, ch, 5, padding=2), nn.ReLU(),
            nn.Conv1d(ch, ch, 5, padding=2), nn.ReLU(),
            nn.Conv1d(ch, 1, 5, padding=2),
        )

    def forward(self, noisy):
        return noisy + self.net(noisy)


class Critic(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(2, ch, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv1d(ch, ch, 4, 2, 1), nn.LeakyReLU(0.2))
        self.score = nn.Conv1d(ch, 1, 3, padding=1)

    def forward(self, pair):
        return self.score(self.features(pair))


def batches(count, n=16, length=64):
    t = torch.linspace(0, 6.28, length)
    for _ in range(count):
        freq = torch.rand(n, 1) * 3 + 1
        clean = torch.sin(freq * t).unsqueeze(1)
        yield clean + 0.3 * torch.randn_like(clean), clean


def train(netG, netD, opt_g, opt_d, steps):
    for noisy, clean in batches(steps):
        fake = netG(noisy)
        d_real = netD(torch.cat([noisy, clean], 1))
        d_fake = netD(torch.cat([noisy, fake], 1))
        loss_d = (F.softplus(-d_real) + F.softplus(d_fake)).mean()
        opt_d.zero_grad()
        loss_d.backward(retain_graph=True)
        opt_d.step()

        loss_g = F.softplus(-d_fake).mean() + 5.0 * F.l1_loss(fake, clean)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return loss_d.item(), loss_g.item()


if __name__ == "__main__":
    torch.manual_seed(11)
    netG, netD = Generator(), Critic()
    opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    print(train(netG, netD, opt_g, opt_d, steps=50))
