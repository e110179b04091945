"""Surrogate for a damped oscillator's state, with an auxiliary energy head: a custom Function
clips the per-sample gradient that the energy loss sends back into the trunk. Its forward returns x.clone(), so the
in-place ReLU applied to the same trunk features afterwards is allowed."""
import math

import torch
import torch.nn as nn


class ClipGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, max_norm):
        ctx.max_norm = max_norm
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        norms = grad.norm(dim=1, keepdim=True).clamp(min=1e-12)
        return grad * (ctx.max_norm / norms).clamp(max=1.0), None


class Surrogate(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(3, width), nn.Tanh(), nn.Linear(width, width))
        self.state_head = nn.Linear(width, 2)
        self.energy_head = nn.Linear(width, 1)

    def forward(self, inputs):
        feat = self.trunk(inputs)
        energy = self.energy_head(ClipGrad.apply(feat, 0.5))
        feat.relu_()
        return self.state_head(feat), energy.squeeze(1)


def oscillator(t, damping, freq):
    x = torch.exp(-damping * t) * torch.cos(freq * t)
    v = -damping * x - freq * torch.exp(-damping * t) * torch.sin(freq * t)
    return torch.stack([x, v], dim=1)


torch.manual_seed(9)
t = torch.rand(1024) * 2 * math.pi
damping = 0.1 + 0.4 * torch.rand(1024)
freq = 1.0 + torch.rand(1024)
inputs = torch.stack([t, damping, freq], dim=1)
targets = oscillator(t, damping, freq)
energy_targets = 0.5 * (targets[:, 1] ** 2 + (freq * targets[:, 0]) ** 2)

model = Surrogate()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(4):
    for i in range(0, 1024, 128):
        state, energy = model(inputs[i:i + 128])
        data_loss = (state - targets[i:i + 128]).pow(2).mean()
        energy_loss = (energy - energy_targets[i:i + 128]).pow(2).mean()
        loss = data_loss + 0.1 * energy_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: state {data_loss.item():.4f} energy {energy_loss.item():.4f}")
