import torch
import torch.nn as nn
from torch import optim

torch.manual_seed(0)

latent_dim, data_dim = 8, 2

G = nn.Sequential(nn.Linear(latent_dim, 16), nn.ReLU(), nn.Linear(16, data_dim))
D = nn.Sequential(nn.Linear(data_dim, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))

opt_g = optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

real_data = torch.randn(256, data_dim) * 0.5 + 2.0
batch = 32

for it in range(6):
    real = real_data[torch.randint(0, real_data.size(0), (batch,))]
    z = torch.randn(batch, latent_dim)
    fake = G(z)

    # discriminator step: fake is detached so G is not updated here
    opt_d.zero_grad()
    d_real = D(real)
    d_fake = D(fake.detach())
    loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    loss_d.backward()
    opt_d.step()

    # generator step: gradients flow through D into G
    opt_g.zero_grad()
    d_out = D(fake)
    loss_g = bce(d_out, torch.ones_like(d_out))
    loss_g.backward()
    opt_g.step()

    print(f"iter {it}: loss_d={loss_d.item():.4f} loss_g={loss_g.item():.4f}")
