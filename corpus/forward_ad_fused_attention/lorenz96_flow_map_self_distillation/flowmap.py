"""A flow-map transformer over the sites of a periodic 1-D lattice: each site is a token, attention
is biased by the periodic distance between sites, and the network is conditioned on a start and an
end time (s, t)."""
import torch
import torch.nn.functional as F
from torch import nn


class RingAttention(nn.Module):
    def __init__(self, sites, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        index = torch.arange(sites)
        gap = (index[:, None] - index[None, :]).abs()
        distance = torch.minimum(gap, sites - gap).float()
        slopes = 2.0 ** -torch.arange(1, heads + 1).float()
        self.register_buffer("distance_bias", (-slopes[:, None, None] * distance).unsqueeze(0))

    def forward(self, h):
        b, n, d = h.shape
        q, k, v = self.qkv(h).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=self.distance_bias)
        return self.out(mixed.transpose(1, 2).reshape(b, n, d))


class FlowMapTransformer(nn.Module):
    def __init__(self, sites, dim=32, heads=4, depth=2):
        super().__init__()
        self.value_in = nn.Linear(1, dim)
        self.site = nn.Parameter(torch.randn(sites, dim) * 0.02)
        self.time_in = nn.Sequential(nn.Linear(2, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.attn = nn.ModuleList([RingAttention(sites, dim, heads) for _ in range(depth)])
        self.ff = nn.ModuleList([nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.value_out = nn.Linear(dim, 1)

    def forward(self, x, s, t):
        h = self.value_in(x[..., None]) + self.site + self.time_in(torch.stack([s, t], dim=-1))[:, None]
        for attn, ff in zip(self.attn, self.ff):
            h = h + attn(self.norm(h))
            h = h + ff(h)
        return self.value_out(h).squeeze(-1)
