"""pix2pix-style image-to-image translation on synthetic 16x16 edge maps -> filled shapes: a U-Net-ish
generator with an L1 + adversarial loss and a PatchGAN discriminator. The Trainer object is given
the models and their optimizers when it is built, and fit() runs the epochs."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2))
        self.mid = nn.Sequential(nn.Conv2d(width, width * 2, 3, 1, 1), nn.BatchNorm2d(width * 2), nn.ReLU())
        self.up = nn.ConvTranspose2d(width * 2, 1, 4, 2, 1)

    def forward(self, x):
        return torch.tanh(self.up(self.mid(self.down(x))) + x)


class PatchDiscriminator(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(2, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width * 2, 4, 2, 1), nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2),
            nn.Conv2d(width * 2, 1, 3, 1, 1),
        )

    def forward(self, source, target):
        return self.net(torch.cat([source, target], 1))


class Trainer:
    def __init__(self, generator, discriminator, opt_g, opt_d, l1_weight=100.0):
        self.generator = generator
        self.discriminator = discriminator
        self.opt_g = opt_g
        self.opt_d = opt_d
        self.l1_weight = l1_weight

    def train_step(self, source, target):
        fake = self.generator(source)

        self.opt_d.zero_grad()
        real_logits = self.discriminator(source, target)
        fake_logits = self.discriminator(source, fake.detach())
        loss_d = 0.5 * (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                        + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        loss_d.backward()
        self.opt_d.step()

        self.opt_g.zero_grad()
        fake_logits = self.discriminator(source, fake)
        loss_g = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)) + self.l1_weight * F.l1_loss(fake, target)
        loss_g.backward()
        self.opt_g.step()
        return loss_g.item(), loss_d.item()

    def fit(self, pairs, epochs):
        for epoch in range(epochs):
            for source, target in pairs:
                loss_g, loss_d = self.train_step(source, target)
            print(f"epoch {epoch}: G {loss_g:.3f} D {loss_d:.3f}")


def make_pairs(n_batches, batch=8, size=16):
    pairs = []
    for _ in range(n_batches):
        target = -torch.ones(batch, 1, size, size)
        for k in range(batch):
            r0, c0 = torch.randint(0, size // 2, (2,)).tolist()
            target[k, 0, r0:r0 + size // 2, c0:c0 + size // 2] = 1.0
        edges = (F.max_pool2d(target, 3, 1, 1) - target).clamp(0, 1) * 2 - 1
        pairs.append((edges, target))
    return pairs


def main():
    torch.manual_seed(0)
    generator, discriminator = Generator(), PatchDiscriminator()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    trainer = Trainer(generator, discriminator, opt_g, opt_d)
    trainer.fit(make_pairs(4), epochs=3)


if __name__ == "__main__":
    main()
