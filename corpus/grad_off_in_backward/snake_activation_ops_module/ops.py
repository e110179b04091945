"""Custom ops for the vocoder: the Snake activation, x + sin^2(alpha * x) / alpha, with one
learnable frequency per channel."""
import torch as th


class SnakeFunction(th.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x, alpha)
        return x + th.sin(alpha * x).pow(2) / alpha

    @staticmethod
    def backward(ctx, grad_output):
        x, alpha = ctx.saved_tensors
        y = x + th.sin(alpha * x).pow(2) / alpha

        # let autograd do the calculus
        grad_x = th.autograd.grad(y, x, grad_output)[0]
        grad_alpha = th.autograd.grad(y, alpha, grad_output)[0]
        return grad_x, grad_alpha


class Snake(th.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.alpha = th.nn.Parameter(th.ones(1, channels, 1))

    def forward(self, x):
        return SnakeFunction.apply(x, self.alpha)
