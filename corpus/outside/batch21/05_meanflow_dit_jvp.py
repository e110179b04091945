# Source: https://github.com/pytorch/pytorch/issues/128971
# One-step generative model trained with the MeanFlow objective on small synthetic images. The
# target needs the total derivative du/dt of the average-velocity network, taken with
# torch.func.jvp (forward-mode AD) through the whole DiT. The DiT's attention calls
# F.scaled_dot_product_attention, which dispatches to the fused flash kernel
# (_scaled_dot_product_flash_attention_for_cpu on CPU); that kernel has no forward-AD formula,
# so the first training step fails with "Trying to use forward AD with
# _scaled_dot_product_flash_attention_for_cpu that does not support it": nothing trains.
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = {
    "img": 8,
    "patch": 2,
    "dim": 64,
    "heads": 4,
    "depth": 2,
    "batch": 32,
    "steps": 150,
    "lr": 1e-3,
    "flow_ratio": 0.5,   # fraction of samples with r == t (plain flow matching)
    "adaptive_p": 1.0,
    "log_every": 25,
    "seed": 5,
}


def make_images(n, size, gen):
    """Bars and blobs in [-1, 1]: a cheap stand-in for a small image dataset."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    imgs = []
    for _ in range(n):
        kind = torch.randint(0, 2, (1,), generator=gen).item()
        cx, cy = torch.rand(2, generator=gen) * (size - 1)
        if kind == 0:
            img = torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 3.0)
        else:
            img = (torch.abs(xx - cx) < 1.2).float() if torch.rand(1, generator=gen) > 0.5 else (torch.abs(yy - cy) < 1.2).float()
        imgs.append(img * 2 - 1)
    return torch.stack(imgs).unsqueeze(1)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class DiTBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"), nn.Linear(4 * dim, dim))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))

    def forward(self, x, c):
        s1, b1, g1, s2, b2, g2 = self.ada(c).unsqueeze(1).chunk(6, dim=-1)
        x = x + g1 * self.attn(self.norm1(x) * (1 + s1) + b1)
        x = x + g2 * self.mlp(self.norm2(x) * (1 + s2) + b2)
        return x


class MeanFlowDiT(nn.Module):
    def __init__(self, img, patch, dim, heads, depth):
        super().__init__()
        self.patch, self.img = patch, img
        n_tokens = (img // patch) ** 2
        self.embed = nn.Linear(patch * patch, dim)
        self.pos = nn.Parameter(torch.randn(1, n_tokens, dim) * 0.02)
        self.t_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.r_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.blocks = nn.ModuleList(DiTBlock(dim, heads) for _ in range(depth))
        self.out_norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, patch * patch)

    def patchify(self, x):
        b, p = x.size(0), self.patch
        x = x.unfold(2, p, p).unfold(3, p, p)
        return x.reshape(b, -1, p * p)

    def unpatchify(self, x):
        b, p, g = x.size(0), self.patch, self.img // self.patch
        x = x.view(b, g, g, p, p).permute(0, 1, 3, 2, 4)
        return x.reshape(b, 1, self.img, self.img)

    def forward(self, z, r, t):
        d = self.pos.size(-1)
        c = self.t_mlp(timestep_embedding(t, d)) + self.r_mlp(timestep_embedding(t - r, d))
        h = self.embed(self.patchify(z)) + self.pos
        for blk in self.blocks:
            h = blk(h, c)
        return self.unpatchify(self.out(self.out_norm(h)))


def sample_r_t(b, flow_ratio, gen):
    t = torch.sigmoid(torch.randn(b, generator=gen) - 0.4)
    r = torch.sigmoid(torch.randn(b, generator=gen) - 0.4)
    t, r = torch.maximum(t, r), torch.minimum(t, r)
    same = torch.rand(b, generator=gen) < flow_ratio
    r = torch.where(same, t, r)
    return r, t


def meanflow_loss(model, x, gen):
    b = x.size(0)
    r, t = sample_r_t(b, cfg["flow_ratio"], gen)
    r, t = r.to(x.device), t.to(x.device)
    e = torch.randn(x.shape, generator=gen).to(x.device)
    te, re = t.view(b, 1, 1, 1), r.view(b, 1, 1, 1)
    z = (1 - te) * x + te * e
    v = e - x
    u, dudt = torch.func.jvp(model, (z, r, t), (v, torch.zeros_like(r), torch.ones_like(t)))
    u_tgt = (v - (te - re) * dudt).detach()
    err = ((u - u_tgt) ** 2).flatten(1).mean(1)
    w = 1.0 / (err.detach() + 1e-3) ** cfg["adaptive_p"]
    return (w * err).mean(), err.mean()


@torch.no_grad()
def one_step_quality(model, data, gen):
    model.eval()
    e = torch.randn(data.shape, generator=gen).to(device)
    b = data.size(0)
    x = e - model(e, torch.zeros(b, device=device), torch.ones(b, device=device))
    model.train()
    return (x.mean() - data.mean()).abs().item(), (x.std() - data.std()).abs().item()


gen = torch.Generator().manual_seed(cfg["seed"])
torch.manual_seed(cfg["seed"])
data = make_images(1024, cfg["img"], gen).to(device)
model = MeanFlowDiT(cfg["img"], cfg["patch"], cfg["dim"], cfg["heads"], cfg["depth"]).to(device)
opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0)
print(f"params: {sum(p.numel() for p in model.parameters()) / 1e3:.1f}k")

t0 = time.time()
for step in range(1, cfg["steps"] + 1):
    idx = torch.randint(0, data.size(0), (cfg["batch"],), generator=gen)
    loss, raw = meanflow_loss(model, data[idx], gen)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % cfg["log_every"] == 0 or step == 1:
        dm, ds = one_step_quality(model, data[:256], gen)
        print(f"step {step:4d} loss {loss.item():.4f} mse {raw.item():.4f} |dmean| {dm:.3f} |dstd| {ds:.3f} ({time.time() - t0:.1f}s)")
