# Correct look-alike (control): a small GAN. fake.detach() in the discriminator step is
# intentional (D must not push gradients into G there); G is trained in its own step through D.
# Both the generator and the discriminator are meant to train.
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT = 8


def real_batch(n=64):
    centers = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
    return centers[torch.randint(0, 3, (n,))] + 0.2 * torch.randn(n, 2)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(LATENT, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))

    def forward(self, x):
        return self.net(x)


def train(G, D, steps=400):
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for step in range(steps):
        real = real_batch()
        fake = G(torch.randn(real.size(0), LATENT))

        # discriminator step: generator output is treated as a constant here
        d_real, d_fake = D(real), D(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
            F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        # generator step: gradients flow through D into G (D's grads are cleared next step)
        d_out = D(fake)
        loss_g = F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 100 == 0:
            print(f"step {step:3d}  loss_d {loss_d.item():.3f}  loss_g {loss_g.item():.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train(Generator(), Discriminator())
