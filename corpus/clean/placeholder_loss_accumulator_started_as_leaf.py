# Multi-horizon demand forecasting with CPU mixed precision: one network reads the last 24 hours
# of a store's sales and predicts the next 1, 3, 6 and 12 hours, each horizon through its own head.
# The loss starts as a zero tensor that requires grad and every horizon's error is added to it.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
HISTORY, HORIZONS, STORES, BATCH = 24, (1, 3, 6, 12), 256, 32

t = torch.arange(HISTORY + max(HORIZONS)).float()
phase = 2 * torch.pi * torch.rand(STORES, 1)
series = torch.sin(2 * torch.pi * t / 24 + phase) + 0.1 * torch.randn(STORES, len(t))
history = series[:, :HISTORY]
future = {h: series[:, HISTORY + h - 1] for h in HORIZONS}


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(HISTORY, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU())
        self.heads = nn.ModuleDict({str(h): nn.Linear(64, 1) for h in HORIZONS})

    def forward(self, x):
        z = self.trunk(x)
        return {h: self.heads[str(h)](z).squeeze(-1) for h in HORIZONS}


model = Forecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(4):
    order = torch.randperm(STORES)
    for start in range(0, STORES, BATCH):
        idx = order[start:start + BATCH]
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            preds = model(history[idx])
        loss = torch.zeros((), requires_grad=True)
        for h in HORIZONS:
            loss = loss + F.mse_loss(preds[h].float(), future[h][idx]) / len(HORIZONS)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
