# Denoising a 1-D signal with a small conv net, trained with a log-cosh loss written as an
# autograd Function (robust to the outliers in the targets).
import math

import torch
import torch.autograd as ag
import torch.nn as nn


class LogCoshLoss(ag.Function):
    @staticmethod
    def forward(ctx, pred, target):
        ctx.save_for_backward(pred, target)
        diff = pred - target
        return (diff + nn.functional.softplus(-2.0 * diff) - math.log(2.0)).mean()

    @staticmethod
    def backward(ctx, grad_output):
        pred, target = ctx.saved_tensors
        with torch.enable_grad():
            pred = pred.detach().requires_grad_()
            diff = pred - target
            value = (diff + nn.functional.softplus(-2.0 * diff) - math.log(2.0)).mean()
        (grad_pred,) = ag.grad(value, pred, grad_output)
        return grad_pred, None


def make_data(n=64, length=100):
    t = torch.linspace(0, 4 * math.pi, length)
    clean = torch.sin(t[None, :] * torch.rand(n, 1) * 2 + torch.rand(n, 1))
    noisy = clean + 0.2 * torch.randn(n, length)
    spikes = (torch.rand(n, length) < 0.02).float() * 5.0
    return noisy.unsqueeze(1), (clean + spikes).unsqueeze(1)


torch.manual_seed(3)
denoiser = nn.Sequential(
    nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(),
    nn.Conv1d(16, 16, 5, padding=2), nn.ReLU(),
    nn.Conv1d(16, 1, 5, padding=2),
)
opt = torch.optim.RMSprop(denoiser.parameters(), lr=1e-3)
noisy, target = make_data()
for it in range(300):
    loss = LogCoshLoss.apply(denoiser(noisy), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 100 == 0:
        print(it, loss.item())
