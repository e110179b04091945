"""Time-conditioned UNet-style denoiser where the output block is unconditioned on purpose: it is
built without `time_dim`, so it has no time projection at all, and is called without the time
embedding. Every layer that exists runs."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, time_dim=None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.norm = nn.GroupNorm(4, out_ch)
        self.time_proj = nn.Linear(time_dim, out_ch) if time_dim is not None else None
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, t_emb=None):
        h = F.silu(self.norm(self.conv1(x)))
        if self.time_proj is not None and t_emb is not None:
            h = h + self.time_proj(t_emb)[:, :, None, None]
        return self.skip(x) + self.conv2(h)


class SmallUNet(nn.Module):
    def __init__(self, ch=16, time_dim=32):
        super().__init__()
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, time_dim), nn.SiLU())
        self.down = ResBlock(1, ch, time_dim)
        self.pool = nn.AvgPool2d(2)
        self.mid = ResBlock(ch, ch, time_dim)
        self.up = nn.Upsample(scale_factor=2)
        self.out_block = ResBlock(2 * ch, ch)  # unconditioned: no time projection is built
        self.head = nn.Conv2d(ch, 1, 1)

    def embed(self, t):
        half = self.time_dim // 2
        freqs = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
        return torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], dim=1)

    def forward(self, x, t):
        temb = self.time_mlp(self.embed(t.float()))
        d = self.down(x, temb)
        m = self.mid(self.pool(d), temb)
        h = self.out_block(torch.cat([self.up(m), d], dim=1))
        return self.head(h)


torch.manual_seed(0)
T = 30
abar = torch.cumprod(1 - torch.linspace(1e-4, 0.1, T), 0)
net = SmallUNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for step in range(60):
    x0 = torch.tanh(torch.randn(16, 1, 8, 8).cumsum(-1) / 3)
    t = torch.randint(0, T, (16,))
    eps = torch.randn_like(x0)
    a = abar[t][:, None, None, None]
    loss = F.mse_loss(net(a.sqrt() * x0 + (1 - a).sqrt() * eps, t), eps)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 0:
        print(step, round(loss.item(), 4))
