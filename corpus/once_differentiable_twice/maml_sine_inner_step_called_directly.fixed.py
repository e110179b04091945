"""MAML on sine-wave regression. The network is written functionally so the inner step can use
fast weights; its activation is a custom Function called directly in the forward, and the inner
gradient is taken with create_graph=True for second-order MAML."""
import math

import torch
from torch.autograd.function import once_differentiable

torch.manual_seed(0)


class SiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))


def forward(params, x):
    h = SiLU.apply(x @ params[0] + params[1])
    h = SiLU.apply(h @ params[2] + params[3])
    return h @ params[4] + params[5]


def sample_task(n=10):
    amplitude, phase = 0.1 + 4.9 * torch.rand(1), math.pi * torch.rand(1)
    x = torch.rand(2 * n, 1) * 10 - 5
    y = amplitude * torch.sin(x + phase)
    return x[:n], y[:n], x[n:], y[n:]


sizes = [(1, 40), (40,), (40, 40), (40,), (40, 1), (1,)]
params = [(torch.randn(s) * (1 / math.sqrt(s[0]) if len(s) == 2 else 0.0)).requires_grad_() for s in sizes]
meta_opt = torch.optim.Adam(params, lr=1e-3)

for it in range(300):
    meta_loss = 0.0
    for _ in range(4):
        x_s, y_s, x_q, y_q = sample_task()
        inner = torch.mean((forward(params, x_s) - y_s) ** 2)
        grads = torch.autograd.grad(inner, params, create_graph=True)
        fast = [p - 0.01 * g for p, g in zip(params, grads)]
        meta_loss = meta_loss + torch.mean((forward(fast, x_q) - y_q) ** 2)
    meta_opt.zero_grad()
    (meta_loss / 4).backward()
    meta_opt.step()
