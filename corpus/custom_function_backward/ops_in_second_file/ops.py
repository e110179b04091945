"""Custom ops of the project: a smooth-L1-like "soft shrink" with a learnable threshold."""
import torch


class LearnedShrink(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, threshold):
        ctx.save_for_backward(x, threshold)
        return torch.sign(x) * torch.relu(x.abs() - threshold)

    @staticmethod
    def backward(ctx, grad_output):
        x, threshold = ctx.saved_tensors
        active = (x.abs() > threshold).to(grad_output.dtype)
        grad_x = grad_output * active
        grad_threshold = -(grad_output * torch.sign(x) * active).sum(0)
        return grad_x


def shrink(x, threshold):
    return LearnedShrink.apply(x, threshold)
