import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

LATENT, DATA_DIM, BATCH = 4, 2, 32

# generator and discriminator
G = nn.Sequential(nn.Linear(LATENT, 16), nn.ReLU(), nn.Linear(16, DATA_DIM))
D = nn.Sequential(nn.Linear(DATA_DIM, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))

opt_g = optim.Adam([], lr=2e-4, betas=(0.5, 0.999))
opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

# "real" data: a shifted gaussian blob
real_data = torch.randn(256, DATA_DIM) * 0.5 + torch.tensor([2.0, -1.0])
ones = torch.ones(BATCH, 1)
zeros = torch.zeros(BATCH, 1)

for it in range(10):
    real = real_data[torch.randint(0, 256, (BATCH,))]
    z = torch.randn(BATCH, LATENT)
    fake = G(z)

    # discriminator step
    opt_d.zero_grad()
    loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
    loss_d.backward()
    opt_d.step()

    # generator step
    opt_g.zero_grad()
    loss_g = bce(D(fake), ones)
    loss_g.backward()
    opt_g.step()

    print(f"it {it}: loss_d={loss_d.item():.4f} loss_g={loss_g.item():.4f}")
