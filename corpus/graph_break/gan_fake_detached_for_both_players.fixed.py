"""A conditional GAN on toy 2-D clusters: the generated batch is made once per iteration and
shared by the discriminator's and the generator's updates."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_CLASSES, LATENT = 3, 6
CENTERS = torch.tensor([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, 4)
        self.net = nn.Sequential(nn.Linear(LATENT + 4, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, z, y):
        return self.net(torch.cat([z, self.embed(y)], dim=1))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, 4)
        self.net = nn.Sequential(nn.Linear(2 + 4, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def forward(self, x, y):
        return self.net(torch.cat([x, self.embed(y)], dim=1))


def sample_real(batch):
    y = torch.randint(0, N_CLASSES, (batch,))
    return CENTERS[y] + 0.2 * torch.randn(batch, 2), y


def train_step(gen, disc, opt_g, opt_d, batch=32):
    real, y = sample_real(batch)
    z = torch.randn(batch, LATENT)
    generated = gen(z, y)

    opt_d.zero_grad()
    real_logits = disc(real, y)
    fake_logits = disc(generated.detach(), y)
    loss_d = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
        F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    loss_d.backward()
    opt_d.step()

    opt_g.zero_grad()
    judged = disc(generated, y)
    loss_g = F.binary_cross_entropy_with_logits(judged, torch.ones_like(judged))
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


gen, disc = Generator(), Discriminator()
opt_g = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))
for step in range(100):
    loss_d, loss_g = train_step(gen, disc, opt_g, opt_d)
    if step % 25 == 0:
        print(f"step {step}: D {loss_d:.3f} G {loss_g:.3f}")
