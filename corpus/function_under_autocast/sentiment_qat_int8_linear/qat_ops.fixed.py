"""Quantisation-aware training ops: linear layers whose weights are fake-quantised to signed
integers per output channel, with the straight-through estimator for the rounding."""
import torch
import torch.nn.functional as F
from torch import nn


def per_channel_scale(weight, bits):
    qmax = 2 ** (bits - 1) - 1
    return weight.detach().abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / qmax


class FakeQuantLinearFn(torch.autograd.Function):
    """y = x @ Q(W)^T + b, where Q rounds W to the integer grid; dQ/dW = 1 inside the range."""

    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda" if torch.cuda.is_available() else "cpu")
    def forward(ctx, x, weight, bias, bits):
        qmax = 2 ** (bits - 1) - 1
        scale = per_channel_scale(weight, bits)
        w_q = torch.clamp(torch.round(weight / scale), -qmax - 1, qmax) * scale
        ctx.save_for_backward(x, w_q)
        return F.linear(x, w_q, bias)

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda" if torch.cuda.is_available() else "cpu")
    def backward(ctx, grad_out):
        x, w_q = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1])
        grad_x = (g @ w_q).reshape(x.shape)
        grad_w = g.t() @ x.reshape(-1, x.shape[-1])
        return grad_x, grad_w, g.sum(0), None


class QuantLinear(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, bits=8):
        super().__init__(in_features, out_features, bias=bias)
        self.bits = bits

    def forward(self, x):
        return FakeQuantLinearFn.apply(x, self.weight, self.bias, self.bits)
