# Private regression of a periodic signal with DP-SGD: a model sums learned Fourier terms into an
# output accumulator, per-sample gradients come from vmap(grad(...)) over functional_call, and
# the clipped, noised mean is written into p.grad for SGD.
import math

import torch
import torch.nn as nn
from torch.func import functional_call, grad, vmap

TERMS = 6


class FourierRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.freq = nn.Parameter(torch.arange(1, TERMS + 1, dtype=torch.float32))
        self.cos_coef = nn.Parameter(torch.zeros(TERMS))
        self.sin_coef = nn.Parameter(torch.zeros(TERMS))

    def forward(self, t):
        out = torch.zeros(t.shape)
        for k in range(TERMS):
            term = self.cos_coef[k] * torch.cos(self.freq[k] * t) + self.sin_coef[k] * torch.sin(self.freq[k] * t)
            out += term
        return out


torch.manual_seed(0)
t_all = torch.rand(512) * 2 * math.pi
y_all = torch.sin(t_all) + 0.5 * torch.cos(3 * t_all) + 0.1 * torch.randn(512)
model = FourierRegressor()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
max_norm, noise_multiplier = 1.0, 0.5


def loss_of_params(params, t, y):
    return (functional_call(model, params, (t.unsqueeze(0),)) - y).pow(2).mean()


per_sample_grads = vmap(grad(loss_of_params), in_dims=(None, 0, 0))
for epoch in range(5):
    for i in range(0, 512, 64):
        t, y = t_all[i:i + 64], y_all[i:i + 64]
        params = {k: v.detach() for k, v in model.named_parameters()}
        grads = per_sample_grads(params, t, y)
        norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
        factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for name, p in model.named_parameters():
            clipped = (grads[name] * factor.view(-1, *[1] * (grads[name].dim() - 1))).sum(0)
            p.grad = (clipped + torch.randn_like(clipped) * noise_multiplier * max_norm) / len(t)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    print(f"epoch {epoch}: loss {((model(t_all) - y_all) ** 2).mean().item():.4f}")
