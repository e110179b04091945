# DCGAN-style training of an MLP GAN on a mixture of Gaussians.
import torch
import torch.nn as nn

torch.manual_seed(0)
LATENT = 8


def sample_real(n):
    centers = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
    return centers[torch.randint(0, 3, (n,))] + 0.1 * torch.randn(n, 2)


G = nn.Sequential(nn.Linear(LATENT, 64), nn.ReLU(), nn.Linear(64, 2))
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

for step in range(2000):
    real = sample_real(64)
    fake = G(torch.randn(64, LATENT))

    # discriminator: real -> 1, fake -> 0
    opt_d.zero_grad()
    d_loss = bce(D(real), torch.ones(64, 1)) + bce(D(fake.detach()), torch.zeros(64, 1))
    d_loss.backward()
    opt_d.step()

    # generator: make D call the fakes real
    opt_g.zero_grad()
    g_loss = bce(D(fake), torch.ones(64, 1))
    g_loss.backward()
    opt_g.step()

    if step % 500 == 0:
        print(step, round(d_loss.item(), 3), round(g_loss.item(), 3))
