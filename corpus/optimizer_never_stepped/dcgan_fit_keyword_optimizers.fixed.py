"""DCGAN on 16x16 synthetic blobs. The whole loop lives in fit(), which takes both optimizers by
keyword; main() builds the models and the optimizers and calls it once."""
import torch
import torch.nn as nn

LATENT = 8


class Generator(nn.Module):
    def __init__(self, latent=LATENT, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent, width, 4, 1, 0), nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1), nn.BatchNorm2d(width // 2), nn.ReLU(True),
            nn.ConvTranspose2d(width // 2, 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width // 2, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width // 2, width, 4, 2, 1), nn.BatchNorm2d(width), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, 1, 4, 1, 0),
        )

    def forward(self, x):
        return self.net(x).view(-1)


def blobs(n, size=16):
    grid = torch.linspace(-1, 1, size)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    centres = torch.rand(n, 2, 1, 1) * 1.2 - 0.6
    return (torch.exp(-((xx - centres[:, 0]) ** 2 + (yy - centres[:, 1]) ** 2) / 0.05) * 2 - 1).unsqueeze(1)


def fit(gen, disc, batches, epochs, opt_g, opt_d, criterion):
    for epoch in range(epochs):
        for real in batches:
            b = real.size(0)
            fake = gen(torch.randn(b, LATENT, 1, 1))

            # (1) discriminator: real -> 1, fake -> 0
            opt_d.zero_grad()
            loss_d = criterion(disc(real), torch.ones(b)) + criterion(disc(fake.detach()), torch.zeros(b))
            loss_d.backward()
            opt_d.step()

            # (2) generator: fool the discriminator
            opt_g.zero_grad()
            loss_g = criterion(disc(fake), torch.ones(b))
            loss_g.backward()
            opt_g.step()
        print(f"epoch {epoch}: loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f}")


def main():
    torch.manual_seed(0)
    gen, disc = Generator(), Discriminator()
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batches = [blobs(16) for _ in range(6)]
    fit(gen, disc, batches, epochs=4, opt_g=opt_g, opt_d=opt_d, criterion=nn.BCEWithLogitsLoss())


if __name__ == "__main__":
    main()
