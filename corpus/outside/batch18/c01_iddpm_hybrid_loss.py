# Improved-DDPM style training (learned variances, hybrid L_simple + L_vlb loss) on a
# 2-D toy distribution, with an EMA copy of the denoiser used for sampling.
#
# Look-alike, based on
#   https://github.com/openai/improved-diffusion/blob/main/improved_diffusion/gaussian_diffusion.py
#   The variational-bound term is computed on torch.cat([eps.detach(), v]): the
#   predicted noise is detached on purpose, so that L_vlb only trains the variance
#   output while L_simple trains the mean (noise) output.  The EMA model is frozen
#   and updated in place under no_grad, sampling runs under no_grad.  Everything
#   that should train (backbone, noise head, variance head) does.
import argparse
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CFG = {"T": 100, "n_points": 2048, "hidden": 128, "vlb_weight": 0.01, "ema_decay": 0.99, "seed": 0}


def two_moons(n, g):
    t = torch.rand(n, generator=g) * math.pi
    upper = torch.rand(n, generator=g) < 0.5
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    return torch.stack([x, y], 1) + 0.05 * torch.randn(n, 2, generator=g)


class Schedule:
    def __init__(self, T):
        self.betas = torch.linspace(1e-4, 0.05, T)
        self.ab = torch.cumprod(1 - self.betas, 0)
        self.ab_prev = torch.cat([torch.ones(1), self.ab[:-1]])
        self.post_var = self.betas * (1 - self.ab_prev) / (1 - self.ab)
        self.post_logvar = torch.log(torch.cat([self.post_var[1:2], self.post_var[1:]]))
        self.coef_x0 = self.betas * self.ab_prev.sqrt() / (1 - self.ab)
        self.coef_xt = (1 - self.ab_prev) * (1 - self.betas).sqrt() / (1 - self.ab)


class Denoiser(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.t_embed = nn.Sequential(nn.Linear(16, hidden), nn.SiLU())
        self.backbone = nn.Sequential(nn.Linear(2 + hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.eps_head = nn.Linear(hidden, 2)
        self.var_head = nn.Linear(hidden, 2)

    def forward(self, x, t):
        freqs = torch.exp(-math.log(1000) * torch.arange(8) / 8)
        emb = torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], 1)
        h = self.backbone(torch.cat([x, self.t_embed(emb)], 1))
        return self.eps_head(h), torch.tanh(self.var_head(h))


def normal_kl(m1, lv1, m2, lv2):
    return 0.5 * (-1.0 + lv2 - lv1 + torch.exp(lv1 - lv2) + (m1 - m2) ** 2 * torch.exp(-lv2))


def p_mean_logvar(s, x_t, t, eps, v):
    frac = (v + 1) / 2
    logvar = frac * torch.log(s.betas[t])[:, None] + (1 - frac) * s.post_logvar[t][:, None]
    x0 = ((x_t - (1 - s.ab[t]).sqrt()[:, None] * eps) / s.ab[t].sqrt()[:, None]).clamp(-3, 3)
    mean = s.coef_x0[t][:, None] * x0 + s.coef_xt[t][:, None] * x_t
    return mean, logvar


def hybrid_loss(model, s, x0, t):
    noise = torch.randn_like(x0)
    x_t = s.ab[t].sqrt()[:, None] * x0 + (1 - s.ab[t]).sqrt()[:, None] * noise
    eps, v = model(x_t, t.float())
    l_simple = F.mse_loss(eps, noise)
    # learn the variance with the VLB, but don't let it move the mean prediction
    frozen = torch.cat([eps.detach(), v], 1)
    mean, logvar = p_mean_logvar(s, x_t, t, frozen[:, :2], frozen[:, 2:])
    q_mean = s.coef_x0[t][:, None] * x0 + s.coef_xt[t][:, None] * x_t
    kl = normal_kl(q_mean, s.post_logvar[t][:, None], mean, logvar).mean(1) / math.log(2.0)
    nll = (0.5 * (math.log(2 * math.pi) + logvar + (x0 - mean) ** 2 / logvar.exp())).mean(1) / math.log(2.0)
    l_vlb = torch.where(t == 0, nll, kl).mean()
    return l_simple, l_vlb


@torch.no_grad()
def sample(model, s, n):
    x = torch.randn(n, 2)
    for i in reversed(range(len(s.betas))):
        t = torch.full((n,), i)
        eps, v = model(x, t.float())
        mean, logvar = p_mean_logvar(s, x, t, eps, v)
        x = mean + (0.5 * logvar).exp() * torch.randn_like(x) * (i > 0)
    return x


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch_size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    torch.manual_seed(CFG["seed"])
    g = torch.Generator().manual_seed(CFG["seed"])
    sched = Schedule(CFG["T"])
    loader = DataLoader(TensorDataset(two_moons(CFG["n_points"], g)), batch_size=args.batch_size, shuffle=True)

    model = Denoiser(CFG["hidden"])
    ema = copy.deepcopy(model).requires_grad_(False)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        ls = lv = 0.0
        for (x0,) in loader:
            t = torch.randint(0, CFG["T"], (x0.shape[0],))
            l_simple, l_vlb = hybrid_loss(model, sched, x0, t)
            loss = l_simple + CFG["vlb_weight"] * l_vlb
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.lerp_(pm, 1 - CFG["ema_decay"])
            ls, lv = ls + l_simple.item(), lv + l_vlb.item()
        print(f"epoch {epoch}: L_simple {ls / len(loader):.4f}  L_vlb {lv / len(loader):.4f}")

    xs = sample(ema, sched, 512)
    print(f"EMA samples: mean {xs.mean(0).tolist()} std {xs.std(0).tolist()}")
