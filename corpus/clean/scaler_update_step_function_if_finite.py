"""Masked regression with a step function: it returns early for a batch with no labelled rows
(before anything touched the scaler), steps only on finite gradients and always updates the
scaler afterwards (correct code)."""
import torch
import torch.nn as nn

torch.manual_seed(12)
device = "cuda" if torch.cuda.is_available() else "cpu"

model = nn.Sequential(nn.Linear(6, 24), nn.ReLU(), nn.Linear(24, 1)).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
scaler = torch.amp.GradScaler(device)


def train_step(x, y, labelled):
    if labelled.sum() == 0:
        return None
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device, dtype=torch.bfloat16):
        pred = model(x).squeeze(-1)
    loss = ((pred.float() - y) ** 2 * labelled).sum() / labelled.sum()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    if torch.isfinite(norm):
        scaler.step(optimizer)
    scaler.update()
    return loss.item()


for step in range(30):
    x = torch.randn(16, 6, device=device)
    y = x.sum(1)
    labelled = (torch.rand(16, device=device) < 0.5).float()
    if step == 1:
        labelled.zero_()  # an unlabelled batch
    loss = train_step(x, y, labelled)
    if loss is not None and step % 10 == 0:
        print(f"step {step}: loss {loss:.4f}")
