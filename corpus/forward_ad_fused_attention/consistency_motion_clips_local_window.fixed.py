# Continuous-time consistency training (TrigFlow parameterisation) of a small transformer on
# synthetic joint-angle clips: frames attend within a local window, and the training target uses
# the tangent of the model along the noising path, computed with a Jacobian-vector product.
import math

import torch as th
from torch import nn

th.manual_seed(0)
FRAMES, JOINTS, DIM, HEADS, SIGMA_D = 16, 6, 32, 4, 0.5
frame = th.arange(FRAMES)
WINDOW = (frame[:, None] - frame[None, :]).abs() <= 4


def motion_clips(n):
    time = th.linspace(0, 2 * math.pi, FRAMES)[None, :, None]
    speed = 0.5 + th.rand(n, 1, JOINTS)
    offset = th.rand(n, 1, JOINTS) * 2 * math.pi
    return SIGMA_D * th.sin(speed * time + offset)


def attend(q, k, v, window):
    with th.nn.attention.sdpa_kernel(th.nn.attention.SDPBackend.MATH):
        return th.nn.functional.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=window,
            scale=q.shape[-1] ** -0.5,
        )


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm, self.qkv, self.proj = nn.LayerNorm(DIM), nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.ff = nn.Sequential(nn.LayerNorm(DIM), nn.Linear(DIM, 64), nn.SiLU(), nn.Linear(64, DIM))

    def forward(self, h):
        b, n, _ = h.shape
        q, k, v = self.qkv(self.norm(h)).view(b, n, 3, HEADS, -1).permute(2, 0, 3, 1, 4)
        h = h + self.proj(attend(q, k, v, WINDOW).transpose(1, 2).reshape(b, n, DIM))
        return h + self.ff(h)


class MotionDenoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp, self.time = nn.Linear(JOINTS, DIM), nn.Sequential(nn.Linear(2, DIM), nn.SiLU(), nn.Linear(DIM, DIM))
        self.layers, self.out = nn.ModuleList([Layer(), Layer()]), nn.Linear(DIM, JOINTS)

    def forward(self, x, t):
        h = self.inp(x) + self.time(th.stack([th.sin(4 * t), th.cos(4 * t)], dim=-1))[:, None]
        for layer in self.layers:
            h = layer(h)
        return self.out(h)


model = MotionDenoiser()
optimizer = th.optim.Adam(model.parameters(), lr=5e-4)
for step in range(20):
    x0 = motion_clips(32)
    z = th.randn_like(x0) * SIGMA_D
    t = th.atan(th.exp(th.randn(32) * 1.6 - 1.0) / SIGMA_D)
    cos, sin = th.cos(t)[:, None, None], th.sin(t)[:, None, None]
    xt, dxt_dt = cos * x0 + sin * z, cos * z - sin * x0
    f_minus, df_dt = th.func.jvp(model, (xt / SIGMA_D, t), (cos * sin * dxt_dt, (cos * sin * SIGMA_D).flatten()))
    f_minus, df_dt = f_minus.detach(), df_dt.detach()
    g = -cos * cos * (SIGMA_D * f_minus - dxt_dt) - cos * sin * (xt + SIGMA_D * df_dt)
    g = g / (g.flatten(1).norm(dim=1)[:, None, None] + 0.1)
    loss = ((model(xt / SIGMA_D, t) - f_minus - g) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"consistency loss {loss.item():.4f}")
