# Heteroscedastic regression: a small network predicts both the mean and the variance of a noisy
# 1-D signal whose noise grows with x, and is trained on the Gaussian negative log-likelihood. The
# predicted variance goes through a hand-written floor clamp (a helper function wrapping a custom
# Function) that lets the gradient through only where the variance is above the floor.
import math

import torch
from torch import nn

torch.manual_seed(0)


class FloorClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, floor):
        ctx.save_for_backward(x, floor)
        return x.clamp(min=floor)

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.saved_tensors[0]
        floor = ctx.saved_tensors[1]
        return grad_out * (x > floor).to(grad_out.dtype), None


def variance_with_floor(raw, floor=1e-3):
    return FloorClamp.apply(nn.functional.softplus(raw), floor)


class MeanVarianceNet(nn.Module):
    def __init__(self, hidden=48):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.mean = nn.Linear(hidden, 1)
        self.raw_var = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.body(x)
        return self.mean(h).squeeze(-1), variance_with_floor(self.raw_var(h).squeeze(-1))


x = torch.linspace(-3, 3, 512)[:, None]
noise_std = 0.05 + 0.3 * (x.squeeze(-1) + 3) / 6
y = torch.sin(2 * x.squeeze(-1)) + noise_std * torch.randn(512)

model = MeanVarianceNet()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(30):
    order = torch.randperm(512)
    for i in range(0, 512, 128):
        batch = order[i:i + 128]
        mean, var = model(x[batch])
        nll = 0.5 * (torch.log(2 * math.pi * var) + (y[batch] - mean) ** 2 / var).mean()
        optimizer.zero_grad()
        nll.backward()
        optimizer.step()
print(f"nll {nll.item():.4f}")
