import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
Z_DIM = 8


def sample_real(n):
    """Mixture of 8 Gaussians on a ring."""
    k = torch.randint(0, 8, (n,)).float()
    centers = torch.stack([torch.cos(k * math.pi / 4), torch.sin(k * math.pi / 4)], dim=1) * 2
    return centers + 0.05 * torch.randn(n, 2)


G = nn.Sequential(nn.Linear(Z_DIM, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)).to(device)
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                  nn.Linear(64, 1)).to(device)

# fixed random-feature network for an auxiliary feature-matching loss (never trained on purpose)
feat_net = nn.Sequential(nn.Linear(2, 128), nn.Tanh()).to(device)
feat_net.requires_grad_(False)
feat_net.eval()

opt_G = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_D = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))

for step in range(200):
    real = sample_real(128).to(device)
    z = torch.randn(128, Z_DIM, device=device)
    fake = G(z)

    # --- discriminator: generator output is a constant here
    d_loss = F.binary_cross_entropy_with_logits(D(real), torch.ones(128, 1, device=device)) + \
        F.binary_cross_entropy_with_logits(D(fake.detach()), torch.zeros(128, 1, device=device))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()

    # --- generator: non-saturating loss through the (updated) discriminator + feature matching
    adv = F.binary_cross_entropy_with_logits(D(fake), torch.ones(128, 1, device=device))
    with torch.no_grad():
        real_feat = feat_net(real).mean(0)
    fm = F.mse_loss(feat_net(fake).mean(0), real_feat)
    g_loss = adv + 10.0 * fm
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()

    if step % 100 == 99:
        with torch.no_grad():
            samples = G(torch.randn(1000, Z_DIM, device=device))
            radius = samples.norm(dim=1).mean().item()
        print(f"step {step + 1} d_loss {d_loss.item():.3f} g_loss {g_loss.item():.3f} mean radius {radius:.2f}")
