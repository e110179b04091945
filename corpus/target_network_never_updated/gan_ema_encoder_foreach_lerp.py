"""An adversarially trained autoencoder (BiGAN-style generator and encoder) that keeps EMA copies
of both for sampling and reconstruction, moved with torch._foreach_lerp_ after each step."""
import torch
from torch import nn, optim

torch.manual_seed(3)
Z, X = 8, 16



def generator():
    return nn.Sequential(nn.Linear(Z, 64), nn.LeakyReLU(0.2), nn.Linear(64, X))


def encoder():
    return nn.Sequential(nn.Linear(X, 64), nn.LeakyReLU(0.2), nn.Linear(64, Z))


G, E = generator(), encoder()
D = nn.Sequential(nn.Linear(X + Z, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
G_ema, E_ema = generator().eval(), encoder().eval()
G_ema.load_state_dict(G.state_dict())
E_ema.load_state_dict(E.state_dict())

opt_ge = optim.Adam([*G.parameters(), *E.parameters()], lr=2e-4, betas=(0.5, 0.999))
opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
data = torch.randn(1024, X) @ torch.randn(X, X) * 0.3

for step in range(400):
    x = data[torch.randint(0, len(data), (64,))]
    z = torch.randn(64, Z)
    fake, code = G(z), E(x)
    real_pair, fake_pair = torch.cat([x, code], 1), torch.cat([fake, z], 1)
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)

    d_loss = bce(D(real_pair.detach()), ones) + bce(D(fake_pair.detach()), zeros)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    ge_loss = bce(D(real_pair), zeros) + bce(D(fake_pair), ones)
    opt_ge.zero_grad()
    ge_loss.backward()
    opt_ge.step()

    with torch.no_grad():
        torch._foreach_lerp_(list(G_ema.parameters()), list(G.parameters()), 0.01)

    if step % 100 == 0:
        with torch.no_grad():
            recon = G_ema(E_ema(x))
            print(step, d_loss.item(), ge_loss.item(), (recon - x).pow(2).mean().item())
