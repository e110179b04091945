"""Binary-weight layers (BinaryConnect / XNOR style): weights are binarised to +-alpha in forward,
and the latent real-valued weights get the straight-through gradient, clipped to |w| <= 1."""
import torch
import torch.nn.functional as F
from torch import nn


class BinaryLinearFunction(torch.autograd.Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cpu")
    def forward(ctx, x, weight, bias):
        alpha = weight.abs().mean(dim=1, keepdim=True)
        w_bin = torch.sign(weight) * alpha
        ctx.save_for_backward(x, weight, w_bin)
        return F.linear(x, w_bin, bias)

    @staticmethod
    @torch.amp.custom_bwd(device_type="cpu")
    def backward(ctx, grad_out):
        x, weight, w_bin = ctx.saved_tensors
        grad_x = grad_out @ w_bin
        grad_w = (grad_out.t() @ x) * (weight.abs() <= 1).to(grad_out.dtype)
        return grad_x, grad_w, grad_out.sum(0)


class BinaryLinear(nn.Linear):
    def forward(self, x):
        return BinaryLinearFunction.apply(x, self.weight, self.bias)


def binary_mlp(in_features, hidden, n_classes):
    return nn.Sequential(
        nn.Flatten(),
        BinaryLinear(in_features, hidden),
        nn.BatchNorm1d(hidden),
        nn.Hardtanh(),
        BinaryLinear(hidden, hidden),
        nn.BatchNorm1d(hidden),
        nn.Hardtanh(),
        nn.Linear(hidden, n_classes),
    )
