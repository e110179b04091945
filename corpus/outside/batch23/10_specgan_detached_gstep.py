# Report: https://github.com/nikhilsinghmus/image2reverb/issues/37
# A user asks whether a .detach() in the generator step is intended, since it keeps the adversarial
# generator loss from reaching the generator; the maintainer confirms it is a bug.
"""Conditional LSGAN: scene embedding -> reverb-like magnitude spectrogram (synthetic data)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)

COND_DIM, Z_DIM, FREQ, TIME = 12, 16, 16, 32
EPOCHS, BATCH = 4, 32
FM_WEIGHT = 2.0


class ReverbSpectra(Dataset):
    """Exponentially decaying spectra; decay time per band depends on the scene embedding."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.cond = torch.randn(n, COND_DIM, generator=g)
        mix = torch.randn(COND_DIM, FREQ, generator=torch.Generator().manual_seed(7))
        rt = 0.2 + torch.sigmoid(self.cond @ mix / 3)            # (n, FREQ)
        t = torch.linspace(0, 1, TIME)
        spec = torch.exp(-t[None, None, :] / (0.3 * rt[:, :, None]))
        spec = spec * (1 + 0.1 * torch.randn(n, FREQ, TIME, generator=g))
        self.spec = (2 * spec.clamp(0, 1) - 1).unsqueeze(1)       # scaled to [-1, 1]

    def __len__(self):
        return len(self.cond)

    def __getitem__(self, i):
        return self.spec[i], self.cond[i]


class SpecGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(COND_DIM + Z_DIM, 64 * 4 * 8)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 1, 3, padding=1), nn.Tanh())

    def forward(self, z, cond):
        h = self.fc(torch.cat([z, cond], 1)).view(-1, 64, 4, 8)
        return self.up(h)


class SpecDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Conv2d(1 + COND_DIM, 32, 4, 2, 1), nn.LeakyReLU(0.2)),
            nn.Sequential(nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.2)),
        ])
        self.out = nn.Conv2d(64, 1, 3, padding=1)

    def forward(self, spec, cond):
        c = cond[:, :, None, None].expand(-1, -1, spec.shape[2], spec.shape[3])
        h = torch.cat([spec, c], 1)
        feats = []
        for blk in self.blocks:
            h = blk(h)
            feats.append(h)
        return self.out(h), feats


def training_step(G, D, opt_g, opt_d, real, cond):
    z = torch.randn(len(real), Z_DIM)
    fake_spec = G(z, cond)

    # discriminator
    opt_d.zero_grad()
    d_real, _ = D(real, cond)
    d_fake, _ = D(fake_spec.detach(), cond)
    d_loss = 0.5 * (F.mse_loss(d_real, torch.ones_like(d_real))
                    + F.mse_loss(d_fake, torch.zeros_like(d_fake)))
    d_loss.backward()
    opt_d.step()

    # generator
    opt_g.zero_grad()
    d_fake2, fake_feats = D(fake_spec.detach(), cond)
    with torch.no_grad():
        _, real_feats = D(real, cond)
    g_loss1 = F.mse_loss(d_fake2, torch.ones_like(d_fake2))
    g_loss2 = sum(F.l1_loss(f, r) for f, r in zip(fake_feats, real_feats))
    g_loss = g_loss1 + FM_WEIGHT * g_loss2
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss1.item(), g_loss2.item()


@torch.no_grad()
def validate(G, loader):
    G.eval()
    err = n = 0
    for real, cond in loader:
        fake = G(torch.randn(len(real), Z_DIM), cond)
        err += (fake.mean(dim=(1, 2)) - real.mean(dim=(1, 2))).abs().sum().item()
        n += len(real)
    G.train()
    return err / n


def main():
    train_loader = DataLoader(ReverbSpectra(384, seed=1), batch_size=BATCH, shuffle=True, drop_last=True)
    val_loader = DataLoader(ReverbSpectra(128, seed=2), batch_size=64)
    G, D = SpecGenerator(), SpecDiscriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

    for epoch in range(EPOCHS):
        logs = [training_step(G, D, opt_g, opt_d, real, cond) for real, cond in train_loader]
        d_l, g_adv, g_fm = (sum(v) / len(logs) for v in zip(*logs))
        print(f"epoch {epoch}: D {d_l:.3f}  G_adv {g_adv:.3f}  G_fm {g_fm:.3f}  "
              f"val envelope err {validate(G, val_loader):.4f}")


if __name__ == "__main__":
    main()
