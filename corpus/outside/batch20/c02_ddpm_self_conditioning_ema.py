# Look-alike (correct). Reference: https://github.com/lucidrains/denoising-diffusion-pytorch/blob/main/denoising_diffusion_pytorch/denoising_diffusion_pytorch.py
# A 1-D DDPM (on synthetic waveforms) with self-conditioning, as in the reference
# p_losses. Half the time the denoiser first predicts x0 under torch.no_grad(), and that
# estimate is .detach()ed and fed back as an extra input channel. This looks like cutting
# the graph, but the second, tracked forward trains every layer, including the
# self-condition input path. An EMA copy of the denoiser is updated under no_grad with
# requires_grad_(False) and is used only for evaluation. The timestep embedding takes long
# indices from torch.randint. The first layer of the self-condition path is zero-initialised
# (like a ControlNet "zero conv"); it still gets a gradient because its input is non-zero.
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = dict(length=64, n_train=512, batch=32, steps=180, lr=2e-3, T=100, ema_decay=0.98,
           self_cond_prob=0.5, channels=32, seed=13)
torch.manual_seed(cfg["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


def make_waves(n, length, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, length)
    freq = torch.randint(1, 5, (n, 1), generator=g).float()
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    amp = 0.5 + 0.5 * torch.rand(n, 1, generator=g)
    return (amp * torch.sin(2 * math.pi * freq * t + phase))[:, None]


class Denoiser1D(nn.Module):
    def __init__(self, ch, T):
        super().__init__()
        self.t_embed = nn.Embedding(T, ch)
        self.in_x = nn.Conv1d(1, ch, 5, padding=2)
        self.in_cond = nn.Conv1d(1, ch, 5, padding=2)
        nn.init.zeros_(self.in_cond.weight)
        nn.init.zeros_(self.in_cond.bias)
        self.blocks = nn.ModuleList([nn.Conv1d(ch, ch, 5, padding=2 * d, dilation=d) for d in (1, 2, 4)])
        self.norms = nn.ModuleList([nn.GroupNorm(8, ch) for _ in range(3)])
        self.out = nn.Conv1d(ch, 1, 1)

    def forward(self, x, t, x_self_cond=None):
        if x_self_cond is None:
            x_self_cond = torch.zeros_like(x)
        h = self.in_x(x) + self.in_cond(x_self_cond) + self.t_embed(t)[:, :, None]
        for conv, norm in zip(self.blocks, self.norms):
            h = h + conv(F.silu(norm(h)))
        return self.out(h)


betas = torch.linspace(1e-4, 0.05, cfg["T"])
abar = torch.cumprod(1 - betas, 0).to(device)


def predict_x0(x_t, t, eps):
    a = abar[t][:, None, None]
    return (x_t - (1 - a).sqrt() * eps) / a.sqrt()


def p_losses(model, x0):
    t = torch.randint(0, cfg["T"], (x0.shape[0],), device=device)
    noise = torch.randn_like(x0)
    a = abar[t][:, None, None]
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
    x_self_cond = None
    if torch.rand(()) < cfg["self_cond_prob"]:
        with torch.no_grad():
            x_self_cond = predict_x0(x_t, t, model(x_t, t)).clamp(-1.5, 1.5).detach()
    return F.mse_loss(model(x_t, t, x_self_cond), noise)


data = make_waves(cfg["n_train"], cfg["length"], 1).to(device)
val = make_waves(128, cfg["length"], 2).to(device)
model = Denoiser1D(cfg["channels"], cfg["T"]).to(device)
ema = copy.deepcopy(model).requires_grad_(False).eval()
optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])

for step in range(1, cfg["steps"] + 1):
    idx = torch.randint(0, cfg["n_train"], (cfg["batch"],))
    loss = p_losses(model, data[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), model.parameters()):
            pe.lerp_(p, 1 - cfg["ema_decay"])
    if step % 60 == 0:
        with torch.no_grad():
            torch.manual_seed(0)
            val_loss = p_losses(ema, val).item()
        print(f"step {step}: loss {loss.item():.4f}  ema val loss {val_loss:.4f}")
