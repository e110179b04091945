"""Mixed precision done right: float32 parameters, float16 math under autocast, and a GradScaler
that unscales float32 gradients before clipping and stepping. Correct code."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ResidualMLP(nn.Module):
    def __init__(self, dim=32, classes=5):
        super().__init__()
        self.inp = nn.Linear(16, dim)
        self.block = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())
        self.out = nn.Linear(dim, classes)

    def forward(self, x):
        h = self.inp(x)
        return self.out(h + self.block(h))


model = ResidualMLP()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10)
x, y = torch.randn(128, 16), torch.randint(0, 5, (128,))
for step in range(10):
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.float16):
        loss = F.cross_entropy(model(x).float(), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    print(step, round(loss.item(), 4))
