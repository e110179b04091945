"""Output heads for the joint intent / slot model."""
import torch
from torch import nn


class _TokensScaledGrad(torch.autograd.Function):
    """Flattens (batch, time, dim) to (batch * time, dim) for a per-token head and multiplies the
    gradient that flows back into the shared encoder by ``scale``."""

    @staticmethod
    def forward(ctx, h, scale):
        ctx.shape = h.shape
        ctx.scale = scale
        return h.view(-1, h.size(-1))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape) * ctx.scale, None


class SlotHead(nn.Module):
    """Per-token slot tagger whose loss reaches the encoder scaled down by ``grad_scale``."""

    def __init__(self, dim, n_slots, grad_scale=0.3):
        super().__init__()
        self.grad_scale = grad_scale
        self.proj = nn.Linear(dim, n_slots)

    def forward(self, h):
        batch, time, _ = h.shape
        tokens = _TokensScaledGrad.apply(h, self.grad_scale)
        return self.proj(tokens).view(batch, time, -1)


class IntentHead(nn.Module):
    def __init__(self, dim, n_intents, dropout=0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, n_intents))

    def forward(self, pooled):
        return self.net(pooled)
