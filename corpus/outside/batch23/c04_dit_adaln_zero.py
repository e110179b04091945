"""Tiny class-conditional DiT denoiser with adaLN-Zero on 1-D signals (correct look-alike).

Looks suspicious but is intended:
  * every adaLN modulation layer and the final projection are zero-initialised (adaLN-Zero):
    the gates open after the first update, so all block weights learn;
  * the class-embedding table comes from a frozen pretrained lookup (requires_grad=False);
  * the sinusoidal timestep features are built in place on a fresh tensor (no graph involved);
  * the EMA copy is updated in place under torch.no_grad() and sampling runs under no_grad.
"""

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_TOK, PATCH, DIM, HEADS, DEPTH, N_CLS = 8, 4, 32, 4, 2, 4
STEPS, BATCH, T = 180, 64, 100
betas = torch.linspace(1e-4, 0.05, T)
alpha_bar = torch.cumprod(1 - betas, 0)


def sample_batch(n):
    cls = torch.randint(N_CLS, (n,))
    t = torch.linspace(0, 1, N_TOK * PATCH)
    x = torch.sin(2 * math.pi * (cls[:, None] + 1) * t) * (0.5 + 0.5 * torch.rand(n, 1))
    return x.view(n, N_TOK, PATCH), cls


def timestep_features(t, dim=DIM):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half) / half)
    out = torch.empty(len(t), dim)
    out[:, :half] = t[:, None].float() * freqs
    out[:, half:] = out[:, :half]
    out[:, :half].sin_()
    out[:, half:].cos_()
    return out


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class DiTBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM, elementwise_affine=False)
        self.attn = nn.MultiheadAttention(DIM, HEADS, batch_first=True)
        self.norm2 = nn.LayerNorm(DIM, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))
        self.adaLN = nn.Sequential(nn.SiLU(), nn.Linear(DIM, 6 * DIM))
        nn.init.zeros_(self.adaLN[1].weight)
        nn.init.zeros_(self.adaLN[1].bias)

    def forward(self, x, c):
        s1, sc1, g1, s2, sc2, g2 = self.adaLN(c).chunk(6, dim=1)
        h = modulate(self.norm1(x), s1, sc1)
        x = x + g1.unsqueeze(1) * self.attn(h, h, h, need_weights=False)[0]
        return x + g2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), s2, sc2))


class FinalLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(DIM, elementwise_affine=False)
        self.adaLN = nn.Sequential(nn.SiLU(), nn.Linear(DIM, 2 * DIM))
        self.proj = nn.Linear(DIM, PATCH)
        for lin in (self.adaLN[1], self.proj):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, x, c):
        shift, scale = self.adaLN(c).chunk(2, dim=1)
        return self.proj(modulate(self.norm(x), shift, scale))


class TinyDiT(nn.Module):
    def __init__(self, pretrained_class_table):
        super().__init__()
        self.x_embed = nn.Linear(PATCH, DIM)
        self.pos = nn.Parameter(torch.randn(1, N_TOK, DIM) * 0.02)
        self.t_mlp = nn.Sequential(nn.Linear(DIM, DIM), nn.SiLU(), nn.Linear(DIM, DIM))
        self.y_embed = nn.Embedding.from_pretrained(pretrained_class_table, freeze=True)
        self.blocks = nn.ModuleList([DiTBlock() for _ in range(DEPTH)])
        self.final = FinalLayer()

    def forward(self, x, t, y):
        c = self.t_mlp(timestep_features(t)) + self.y_embed(y)
        h = self.x_embed(x) + self.pos
        for blk in self.blocks:
            h = blk(h, c)
        return self.final(h, c)


model = TinyDiT(torch.randn(N_CLS, DIM) * 0.5)
ema = copy.deepcopy(model).requires_grad_(False)
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.0)


@torch.no_grad()
def ema_update(decay=0.99):
    for p_e, p in zip(ema.parameters(), model.parameters()):
        p_e.lerp_(p, 1 - decay)


@torch.no_grad()
def sample(net, y):
    x = torch.randn(len(y), N_TOK, PATCH)
    for i in reversed(range(T)):
        t = torch.full((len(y),), i)
        eps = net(x, t, y)
        x = (x - betas[i] / (1 - alpha_bar[i]).sqrt() * eps) / (1 - betas[i]).sqrt()
        if i > 0:
            x = x + betas[i].sqrt() * torch.randn_like(x)
    return x


val_batch = sample_batch(256)
t_v = torch.randint(T, (256,))
noise_v = torch.randn_like(val_batch[0])
ab_v = alpha_bar[t_v].view(-1, 1, 1)

for step in range(STEPS):
    x0, y = sample_batch(BATCH)
    t = torch.randint(T, (BATCH,))
    noise = torch.randn_like(x0)
    ab = alpha_bar[t].view(-1, 1, 1)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    loss = F.mse_loss(model(xt, t, y), noise)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    ema_update()
    if step % 45 == 0 or step == STEPS - 1:
        with torch.no_grad():
            xv, yv = val_batch
            val = F.mse_loss(ema(ab_v.sqrt() * xv + (1 - ab_v).sqrt() * noise_v, t_v, yv), noise_v)
        print(f"step {step}: loss {loss.item():.4f}  ema val loss {val.item():.4f}")

gen = sample(ema, torch.arange(N_CLS))
print("sample amplitude per class:", [f"{v:.2f}" for v in gen.flatten(1).abs().max(1).values.tolist()])
