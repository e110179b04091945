"""Least-squares GAN on 8x8 synthetic "digits" (bars at random positions), one line per update."""
import torch
from torch import nn
from torch.optim import Adam as AdamOpt
from torch.utils.data import DataLoader, TensorDataset


def bars(n):
    images = torch.zeros(n, 1, 8, 8)
    columns = torch.randint(0, 8, (n,))
    images[torch.arange(n), 0, :, columns] = 1.0
    return images * 2 - 1


G = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))
D = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))
opt_g, opt_d = AdamOpt(G.parameters(), 2e-4, betas=(0.5, 0.999)), AdamOpt(D.parameters(), 2e-4, betas=(0.5, 0.999))
loader = DataLoader(TensorDataset(bars(512)), batch_size=64, shuffle=True)

for epoch in range(4):
    for (real,) in loader:
        fake = G(torch.randn(real.size(0), 16))
        d_loss = 0.5 * ((D(real) - 1) ** 2).mean() + 0.5 * (D(fake) ** 2).mean()
        g_loss = 0.5 * ((D(fake) - 1) ** 2).mean()
        opt_d.zero_grad(); d_loss.backward(retain_graph=True); opt_d.step()
        opt_g.zero_grad(); g_loss.backward(); opt_g.step()
    print(f"epoch {epoch}: d {d_loss.item():.3f} g {g_loss.item():.3f}")
