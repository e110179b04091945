"""Wind turbine power-curve model: predict normalised power output from SCADA features (wind
speed, direction, air density, blade pitch, nacelle temperature). Synthetic farm data with a
cubic region, rated-power plateau, cut-out and curtailment periods."""
import math

import torch
from torch import nn

from grad_hooks import clip_layer_gradients, log_activation_grads

torch.manual_seed(4)
N = 6000


def scada(n):
    speed = torch.rand(n) * 25
    direction = torch.rand(n) * 2 * math.pi
    density = 1.225 + 0.05 * torch.randn(n)
    pitch = torch.where(speed > 12, (speed - 12) * 1.5, torch.zeros(n)) + torch.randn(n)
    temp = 15 + 8 * torch.randn(n)
    cubic = ((speed - 3).clamp(min=0) / 9).pow(3) * density / 1.225
    power = torch.where(speed < 12, cubic, torch.ones(n))
    power = torch.where(speed > 23, torch.zeros(n), power).clamp(0, 1)
    curtailed = torch.rand(n) < 0.05
    power = torch.where(curtailed, power * 0.5, power) + 0.02 * torch.randn(n)
    features = torch.stack([speed / 25, direction.sin(), direction.cos(), density - 1.225, pitch / 20, temp / 20], 1)
    return features, power.unsqueeze(1)


class PowerCurve(nn.Module):
    def __init__(self, n_features=6, hidden=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.body(x))


x, y = scada(N)
x_tr, y_tr, x_va, y_va = x[:5000], y[:5000], x[5000:], y[5000:]
model = PowerCurve()
activation_grads = {}
for i, layer in enumerate(model.body):
    if isinstance(layer, nn.Linear):
        layer.register_full_backward_hook(clip_layer_gradients)
        layer.register_full_backward_hook(log_activation_grads(f"body.{i}", activation_grads))
model.head.register_full_backward_hook(clip_layer_gradients)

opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(6):
    perm = torch.randperm(len(x_tr))
    for k in range(0, len(perm), 100):
        idx = perm[k:k + 100]
        opt.zero_grad()
        loss = nn.functional.huber_loss(model(x_tr[idx]), y_tr[idx], delta=0.1)
        loss.backward()
        opt.step()
    with torch.no_grad():
        mae = (model(x_va) - y_va).abs().mean().item()
    grads = ", ".join(f"{k}={v:.2e}" for k, v in sorted(activation_grads.items()))
    print(f"epoch {epoch}: val MAE {mae:.4f} (rated power units); activation grads {grads}")
