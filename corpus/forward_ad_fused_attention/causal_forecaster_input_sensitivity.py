# A causal transformer forecaster for a noisy seasonal load series, trained on next-step error plus
# a smoothness penalty: the Jacobian of each forecast with respect to its 24-step input window is
# taken with forward-mode differentiation, and its squared entries are penalised.
import math

import torch
from torch import nn
from torch.func import jacfwd, vmap
from torch.nn.functional import scaled_dot_product_attention as sdpa

torch.manual_seed(0)
WINDOW, DIM, HEADS = 24, 32, 4
hours = torch.arange(2000, dtype=torch.float32)
load = torch.sin(2 * math.pi * hours / 24) + 0.3 * torch.sin(2 * math.pi * hours / 168) + 0.1 * torch.randn(2000)


class CausalBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.qkv, self.proj = nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.ff = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))

    def forward(self, h):
        b, n, _ = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(b, n, 3, HEADS, -1).permute(2, 0, 3, 1, 4)
        mixed = sdpa(q, k, v, is_causal=True)
        h = h + self.proj(mixed.transpose(1, 2).reshape(b, n, DIM))
        return h + self.ff(self.ln2(h))


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(1, DIM)
        self.pos = nn.Parameter(torch.zeros(1, WINDOW, DIM))
        self.blocks = nn.Sequential(CausalBlock(), CausalBlock())
        self.head = nn.Linear(DIM, 1)

    def forward(self, window):
        h = self.blocks(self.embed(window[..., None]) + self.pos)
        return self.head(h[:, -1]).squeeze(-1)


model = Forecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def forecast_one(window):
    return model(window[None])[0]


for step in range(15):
    start = torch.randint(0, 2000 - WINDOW - 1, (32,))
    idx = start[:, None] + torch.arange(WINDOW + 1)
    windows, nxt = load[idx[:, :-1]], load[idx[:, -1]]
    mse = ((model(windows) - nxt) ** 2).mean()
    sensitivity = vmap(jacfwd(forecast_one))(windows[:8])
    loss = mse + 0.05 * sensitivity.pow(2).sum(dim=1).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"mse {mse.item():.4f}  sensitivity {sensitivity.abs().mean().item():.4f}")
