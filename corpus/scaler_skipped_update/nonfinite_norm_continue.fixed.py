"""Tabular regression with CPU mixed precision; batches whose gradients come out non-finite (a
glitching sensor writes inf into a few rows) are skipped."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

features = torch.randn(256, 12)
targets = features[:, :3].sum(1, keepdim=True) + 0.1 * torch.randn(256, 1)
features[20, 4] = float("inf")  # a sensor glitch in the second batch
loader = DataLoader(TensorDataset(features, targets), batch_size=16, shuffle=False)

model = nn.Sequential(nn.Linear(12, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(3):
    for batch, (x, y) in enumerate(loader):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = model(x)
        loss = nn.functional.mse_loss(pred.float(), y)

        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        if not torch.isfinite(grad_norm):
            print(f"epoch {epoch} batch {batch}: non-finite gradients, skipping")
            optimizer.zero_grad(set_to_none=True)
            scaler.update()
            continue
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
