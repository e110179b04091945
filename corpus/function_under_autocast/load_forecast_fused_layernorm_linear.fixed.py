"""Electricity-load forecasting from patches of past readings (PatchTST-style). The patch embedding
normalises each patch and projects it in one hand-written Function, as the fused LayerNorm+Linear
kernels do, and training uses CUDA mixed precision."""
import math

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

LOOKBACK = 48
HORIZON = 12
PATCH = 8
D_MODEL = 32
EPS = 1e-5


def synthetic_load(n_series, length, seed=3):
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(length, dtype=torch.float32)
    phase = torch.rand(n_series, 1, generator=gen) * 2 * math.pi
    daily = torch.sin(2 * math.pi * t / 24 + phase)
    weekly = 0.5 * torch.sin(2 * math.pi * t / 168 + phase)
    trend = 0.002 * t * torch.rand(n_series, 1, generator=gen)
    return daily + weekly + trend + 0.1 * torch.randn(n_series, length, generator=gen)


def windows(series):
    xs, ys = [], []
    for start in range(0, series.shape[1] - LOOKBACK - HORIZON, 6):
        xs.append(series[:, start:start + LOOKBACK])
        ys.append(series[:, start + LOOKBACK:start + LOOKBACK + HORIZON])
    return torch.cat(xs), torch.cat(ys)


class LayerNormLinear(torch.autograd.Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda")
    def forward(ctx, x, gamma, beta, weight, bias):
        mu = x.mean(-1, keepdim=True)
        rstd = torch.rsqrt(x.var(-1, unbiased=False, keepdim=True) + EPS)
        xhat = (x - mu) * rstd
        y = xhat * gamma + beta
        ctx.save_for_backward(xhat, rstd, gamma, y, weight)
        return nn.functional.linear(y, weight, bias)

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, grad_out):
        xhat, rstd, gamma, y, weight = ctx.saved_tensors
        grad_y = grad_out @ weight
        grad_weight = grad_out.flatten(0, -2).t() @ y.flatten(0, -2)
        grad_bias = grad_out.flatten(0, -2).sum(0)
        grad_gamma = (grad_y * xhat).flatten(0, -2).sum(0)
        grad_beta = grad_y.flatten(0, -2).sum(0)
        gx = grad_y * gamma
        grad_x = rstd * (gx - gx.mean(-1, keepdim=True) - xhat * (gx * xhat).mean(-1, keepdim=True))
        return grad_x, grad_gamma, grad_beta, grad_weight, grad_bias


class PatchEmbed(nn.Module):
    def __init__(self, patch, d_model):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(patch))
        self.beta = nn.Parameter(torch.zeros(patch))
        self.weight = nn.Parameter(torch.randn(d_model, patch) / math.sqrt(patch))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, patches):
        return LayerNormLinear.apply(
            patches,
            self.gamma,
            self.beta,
            self.weight,
            self.bias,
        )


class PatchForecaster(nn.Module):
    def __init__(self):
        super().__init__()
        n_patches = LOOKBACK // PATCH
        self.embed = PatchEmbed(PATCH, D_MODEL)
        self.mixer = nn.Sequential(nn.GELU(), nn.Linear(D_MODEL, D_MODEL), nn.GELU())
        self.head = nn.Linear(n_patches * D_MODEL, HORIZON)

    def forward(self, window):
        scale = window.std(-1, keepdim=True) + EPS
        level = window.mean(-1, keepdim=True)
        patches = ((window - level) / scale).unfold(-1, PATCH, PATCH)
        tokens = self.mixer(self.embed(patches))
        return self.head(tokens.flatten(1)) * scale + level


device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
x, y = windows(synthetic_load(n_series=16, length=400))
loader = DataLoader(
    TensorDataset(x, y),
    batch_size=64,
    shuffle=True,
)
model = PatchForecaster().to(device)
optimizer = optim.Adam(
    model.parameters(),
    lr=3e-3,
)
scaler = torch.cuda.amp.GradScaler()

for epoch in range(5):
    running = 0.0
    for past, future in loader:
        past, future = past.to(device), future.to(device)
        optimizer.zero_grad()
        with torch.cuda.amp.autocast():
            forecast = model(past)
            loss = nn.functional.l1_loss(forecast.float(), future)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        running += loss.item()
    print(f"epoch {epoch}: MAE {running / len(loader):.4f}")
