"""Class-conditional DDPM on 8x8 digit-like glyphs: each residual block adds a projection of the
time embedding and one of the class embedding to its features. Blocks are called positionally."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_CLASSES = 3


class CondResBlock(nn.Module):
    def __init__(self, ch, emb_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.norm = nn.GroupNorm(4, ch)
        self.t_proj = nn.Linear(emb_dim, ch)
        self.y_proj = nn.Linear(emb_dim, ch)

    def forward(self, x, t_emb=None, y_emb=None):
        h = self.conv1(F.silu(self.norm(x)))
        if t_emb is not None:
            h = h + self.t_proj(t_emb)[:, :, None, None]
        if y_emb is not None:
            h = h + self.y_proj(y_emb)[:, :, None, None]
        return x + self.conv2(F.silu(h))


class Denoiser(nn.Module):
    def __init__(self, ch=16, emb_dim=32):
        super().__init__()
        self.emb_dim = emb_dim
        self.t_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_emb = nn.Embedding(N_CLASSES, emb_dim)
        self.inp = nn.Conv2d(1, ch, 3, padding=1)
        self.res1 = CondResBlock(ch, emb_dim)
        self.res2 = CondResBlock(ch, emb_dim)
        self.out_block = CondResBlock(ch, emb_dim)
        self.outp = nn.Conv2d(ch, 1, 3, padding=1)

    def sinusoid(self, t):
        half = self.emb_dim // 2
        f = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
        return torch.cat([torch.sin(t[:, None] * f), torch.cos(t[:, None] * f)], dim=1)

    def forward(self, x, t, y):
        te = self.t_mlp(self.sinusoid(t.float()))
        ye = self.class_emb(y)
        h = self.inp(x)
        h = self.res1(h, te, ye)
        h = self.res2(h, te, ye)
        h = self.out_block(h)
        return self.outp(h)


def glyphs(y):
    img = torch.zeros(len(y), 1, 8, 8)
    img[y == 0, :, 1:7, 3:5] = 1.0
    img[y == 1, :, 3:5, 1:7] = 1.0
    img[y == 2, :, 1:7, 1:7] = torch.eye(6)
    return img * 2 - 1


steps = 40
beta = torch.linspace(1e-4, 0.1, steps)
abar = torch.cumprod(1 - beta, 0)
torch.manual_seed(0)
model = Denoiser()
optim = torch.optim.Adam(model.parameters(), lr=1e-3)
for i in range(100):
    y = torch.randint(0, N_CLASSES, (32,))
    x0 = glyphs(y)
    t = torch.randint(0, steps, (32,))
    noise = torch.randn_like(x0)
    xt = abar[t].sqrt()[:, None, None, None] * x0 + (1 - abar[t]).sqrt()[:, None, None, None] * noise
    loss = F.mse_loss(model(xt, t, y), noise)
    optim.zero_grad()
    loss.backward()
    optim.step()
    if i % 25 == 0:
        print(f"{i}: {loss.item():.4f}")
