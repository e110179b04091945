"""Mixed-precision regression that skips batches with non-finite gradients, and updates the
scaler on the skip path too (correct code: the next unscale_() finds the scaler ready)."""
import torch
import torch.nn as nn

torch.manual_seed(10)
x = torch.randn(128, 8)
y = x @ torch.randn(8, 1)
x[20, 2] = float("inf")  # a corrupt row in the second batch

model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(3):
    for start in range(0, len(x), 16):
        xb, yb = x[start:start + 16], y[start:start + 16]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = model(xb)
        loss = nn.functional.mse_loss(pred.float(), yb)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if not torch.isfinite(norm):
            print(f"epoch {epoch}: batch at {start} skipped")
            optimizer.zero_grad()
            scaler.update()  # lowers the scale, as scaler.step() would on inf gradients
            continue
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
