# Regression MLP trained with AdamW; the gradient norm is logged every step for the dashboard.
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

config = SimpleNamespace(
    model=SimpleNamespace(width=64, depth=3),
    optim=SimpleNamespace(lr=1e-3, weight_decay=0.01, clip=0.0),
    steps=30,
)


def build_mlp(width, depth):
    layers, size = [], 8
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.GELU()]
        size = width
    layers.append(nn.Linear(size, 1))
    return nn.Sequential(*layers)


torch.manual_seed(3)
x = torch.randn(256, 8)
y = (x[:, :4].sum(1, keepdim=True) - x[:, 4:].prod(1, keepdim=True)).tanh()

model = build_mlp(config.model.width, config.model.depth)
optimizer = torch.optim.AdamW(model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay)
grad_norms = []
for step in range(config.steps):
    batch = torch.randint(0, 256, (32,))
    loss = F.mse_loss(model(x[batch]), y[batch])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.clip or float("inf"))
    grad_norms.append(grad_norm.item())
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: loss {loss.item():.4f} grad norm {grad_norms[-1]:.3f}")
