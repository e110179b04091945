"""Multi-horizon electricity-load forecasting with a stack of residual MLP blocks and deep
supervision: every block has its own forecast head. Gradient probes on the heads' inputs log
how strongly each auxiliary head pushes on the trunk."""
from collections import defaultdict

import torch
from torch import autograd, nn

torch.manual_seed(5)

LOOKBACK = 48
HORIZON = 12
WIDTH = 64
N_BLOCKS = 3
AUX_WEIGHT = 0.3


class _Probe(autograd.Function):
    @staticmethod
    def forward(ctx, x, name, store):
        ctx.name = name
        ctx.store = store
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        ctx.store[ctx.name].append(grad.norm().item())
        return grad, None, None


class GradProbe(nn.Module):
    def __init__(self, name, store):
        super().__init__()
        self.name = name
        self.store = store

    def forward(self, x):
        return _Probe.apply(x, self.name, self.store)


class DeepSupervisedForecaster(nn.Module):
    def __init__(self, grad_log):
        super().__init__()
        self.inp = nn.Linear(LOOKBACK, WIDTH)
        self.blocks = nn.ModuleList(nn.Linear(WIDTH, WIDTH) for _ in range(N_BLOCKS))
        self.heads = nn.ModuleList(nn.Linear(WIDTH, HORIZON) for _ in range(N_BLOCKS))
        self.probes = nn.ModuleList(GradProbe(f"block{i}", grad_log) for i in range(N_BLOCKS))
        self.act = nn.ReLU(inplace=True)

    def forward(self, window):
        h = torch.relu(self.inp(window))
        forecasts = []
        for block, head, probe in zip(self.blocks, self.heads, self.probes):
            z = block(h)
            forecasts.append(head(probe(z)))
            h = h + self.act(z)
        return forecasts


def load_series(n_days=60, per_day=24):
    t = torch.arange(n_days * per_day, dtype=torch.float32)
    daily = torch.sin(2 * torch.pi * t / per_day)
    weekly = 0.5 * torch.sin(2 * torch.pi * t / (7 * per_day))
    trend = 0.002 * t
    return 1.0 + daily + weekly + trend + 0.1 * torch.randn_like(t)


def windows(series):
    idx = torch.arange(LOOKBACK + HORIZON)[None, :] + torch.arange(len(series) - LOOKBACK - HORIZON)[:, None]
    chunks = series[idx]
    return chunks[:, :LOOKBACK], chunks[:, LOOKBACK:]


series = load_series()
series = (series - series.mean()) / series.std()
x_all, y_all = windows(series)
split = int(0.85 * len(x_all))
x_train, y_train, x_val, y_val = x_all[:split], y_all[:split], x_all[split:], y_all[split:]

grad_log = defaultdict(list)
model = DeepSupervisedForecaster(grad_log)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
mse = nn.MSELoss()

for epoch in range(5):
    model.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 64):
        idx = perm[i:i + 64]
        forecasts = model(x_train[idx])
        main_loss = mse(forecasts[-1], y_train[idx])
        aux_loss = sum(mse(f, y_train[idx]) for f in forecasts[:-1])
        loss = main_loss + AUX_WEIGHT * aux_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val = mse(model(x_val)[-1], y_val).item()
    norms = " ".join(f"{k}={sum(v[-5:]) / len(v[-5:]):.4f}" for k, v in grad_log.items())
    print(f"epoch {epoch}: train {main_loss.item():.4f} val {val:.4f} | probe grad norms {norms}")
