"""MLP regressor: a per-iteration linear warm-up that starts at lr 0, and a step decay written
with integer division (`0.5 ** (it // 200)`), which is meant to be piecewise constant."""
import torch
from torch import nn

torch.manual_seed(0)
WARMUP = 8


def schedule(it):
    warm = min(1.0, it / WARMUP)
    return warm * 0.5 ** (it // 200)


model = nn.Sequential(nn.Linear(4, 32), nn.SiLU(), nn.Linear(32, 1))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=schedule)
x = torch.randn(256, 4)
y = x.pow(2).sum(1, keepdim=True)

for epoch in range(4):
    for i in range(0, 256, 32):
        loss = nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    print(epoch, loss.item(), scheduler.get_last_lr()[0])
