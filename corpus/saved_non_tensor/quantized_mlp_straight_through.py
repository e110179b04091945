# Quantisation-aware training of a small classifier on synthetic two-spiral data: each linear
# layer's weight goes through a 4-bit fake quantiser (a hand-written autograd Function) that rounds
# to a per-layer scale in the forward pass and passes the gradient straight through, inside the
# clipping range, in the backward pass.
import math

import torch
from torch import nn
from torch.autograd import Function as AutogradFunction

torch.manual_seed(0)
BITS = 4


class FakeQuantize(AutogradFunction):
    @staticmethod
    def forward(ctx, weight, bits):
        levels = 2 ** (bits - 1) - 1
        scale = torch.quantile(weight.detach().abs().flatten(), 0.98).item() / levels
        ctx.levels = levels
        ctx.save_for_backward(weight, scale)
        return torch.round(weight / scale).clamp(-levels, levels) * scale

    @staticmethod
    def backward(ctx, grad_out):
        weight, scale = ctx.saved_tensors
        inside = (weight.abs() <= scale * ctx.levels).to(grad_out.dtype)
        return grad_out * inside, None


class QuantLinear(nn.Linear):
    def forward(self, x):
        return nn.functional.linear(x, FakeQuantize.apply(self.weight, BITS), self.bias)


def two_spirals(n):
    t = torch.rand(n) * 3 * math.pi + 0.5
    label = torch.randint(0, 2, (n,))
    angle = t + math.pi * label
    points = torch.stack([t * torch.cos(angle), t * torch.sin(angle)], 1) / 5
    return points + 0.03 * torch.randn(n, 2), label


inputs, labels = two_spirals(1000)
model = nn.Sequential(QuantLinear(2, 64), nn.ReLU(), QuantLinear(64, 64), nn.ReLU(), QuantLinear(64, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(25):
    order = torch.randperm(1000)
    for i in range(0, 1000, 250):
        batch = order[i:i + 250]
        loss = nn.functional.cross_entropy(model(inputs[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
accuracy = (model(inputs).argmax(1) == labels).float().mean().item()
print(f"loss {loss.item():.4f}, accuracy {accuracy:.3f}")
