# One-step generation of 2-D point clouds (noisy ellipses of 16 points) with MeanFlow: a set
# transformer predicts the average velocity between two times, and the derivative of its output
# along the flow is carried with forward-mode dual numbers to build the regression target.
import math

import torch
from torch import nn
from torch.autograd import forward_ad
from torch.nn import functional as F

torch.manual_seed(0)
POINTS, DIM, HEADS = 16, 48, 4


def ellipses(n):
    angle = torch.rand(n, POINTS) * 2 * math.pi
    axes = 0.5 + torch.rand(n, 1, 2)
    tilt = torch.rand(n, 1) * math.pi
    xy = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1) * axes
    rot = torch.stack([torch.cos(tilt), -torch.sin(tilt), torch.sin(tilt), torch.cos(tilt)], dim=-1).view(n, 2, 2)
    return xy @ rot + 0.03 * torch.randn(n, POINTS, 2)


class SetAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm, self.qkv, self.out = nn.LayerNorm(DIM), nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.scale = (DIM // HEADS) ** -0.5

    def mix(self, h):
        q, k, v = self.qkv(self.norm(h)).unflatten(-1, (3, HEADS, -1)).permute(2, 0, 3, 1, 4)
        return F.scaled_dot_product_attention(query=q, key=k, value=v, scale=self.scale).transpose(1, 2).flatten(2)

    def forward(self, h):
        return h + self.out(self.mix(h))


class VelocityField(nn.Module):
    def __init__(self):
        super().__init__()
        self.point_in, self.time_in = nn.Linear(2, DIM), nn.Linear(2, DIM)
        self.blocks = nn.Sequential(SetAttention(), SetAttention(), SetAttention())
        self.head = nn.Sequential(nn.LayerNorm(DIM), nn.Linear(DIM, 2))

    def forward(self, z, r, t):
        h = self.point_in(z) + self.time_in(torch.stack([t, t - r], dim=-1))[:, None]
        return self.head(self.blocks(h))


model = VelocityField()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(20):
    x = ellipses(32)
    noise = torch.randn_like(x)
    t = torch.rand(32)
    r = torch.where(torch.rand(32) < 0.5, t, t * torch.rand(32))
    z = (1 - t)[:, None, None] * x + t[:, None, None] * noise
    velocity = noise - x
    with forward_ad.dual_level():
        dual = model(forward_ad.make_dual(z, velocity), r, forward_ad.make_dual(t, torch.ones_like(t)))
        u, dudt = forward_ad.unpack_dual(dual)
    target = (velocity - (t - r)[:, None, None] * dudt).detach()
    loss = ((u - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"meanflow loss {loss.item():.4f}")
