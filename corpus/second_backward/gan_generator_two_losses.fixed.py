# A small GAN whose generator is trained on two objectives, an adversarial loss and a feature
# matching loss, each with its own backward() call.
import torch
from torch import nn, optim

torch.manual_seed(0)
LATENT = 8

G = nn.Sequential(nn.Linear(LATENT, 32), nn.ReLU(), nn.Linear(32, 2))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2))
        self.classify = nn.Linear(32, 1)

    def forward(self, x):
        f = self.features(x)
        return self.classify(f), f


D = Discriminator()
opt_g = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()


def real_batch(n=64):
    angle = torch.rand(n) * 6.283
    return torch.stack([angle.cos(), angle.sin()], dim=1) + 0.05 * torch.randn(n, 2)


for step in range(6):
    real = real_batch()
    fake = G(torch.randn(64, LATENT))

    opt_d.zero_grad()
    real_logit, real_feat = D(real)
    fake_logit, _ = D(fake.detach())
    d_loss = bce(real_logit, torch.ones_like(real_logit)) + bce(fake_logit, torch.zeros_like(fake_logit))
    d_loss.backward()
    opt_d.step()

    opt_g.zero_grad()
    fake_logit, fake_feat = D(fake)
    adv_loss = bce(fake_logit, torch.ones_like(fake_logit))
    fm_loss = (real_feat.detach().mean(0) - fake_feat.mean(0)).pow(2).sum()
    adv_loss.backward(retain_graph=True)
    fm_loss.backward()
    opt_g.step()
    print(step, d_loss.item(), adv_loss.item(), fm_loss.item())
