"""A depthwise 1-D convolution as a custom Function, used with a learned kernel and then with a
fixed smoothing kernel (a buffer); backward skips the kernel gradient when it is not needed."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class DepthwiseConv1d(torch.autograd.Function):
    @staticmethod
    def forward(ctx, signal, kernel):
        ctx.save_for_backward(signal, kernel)
        channels = signal.shape[1]
        return F.conv1d(signal, kernel, padding=kernel.shape[-1] // 2, groups=channels)

    @staticmethod
    def backward(ctx, grad_output):
        signal, kernel = ctx.saved_tensors
        channels, pad = signal.shape[1], kernel.shape[-1] // 2
        grad_signal = torch.nn.grad.conv1d_input(signal.shape, kernel, grad_output, padding=pad, groups=channels)
        if not ctx.needs_input_grad[1]:
            return grad_signal, None
        grad_kernel = torch.nn.grad.conv1d_weight(signal, kernel.shape, grad_output, padding=pad, groups=channels)
        return grad_signal, grad_kernel


class FilterThenSmooth(nn.Module):
    def __init__(self, channels=4, width=5):
        super().__init__()
        self.register_buffer("smooth", torch.full((channels, 1, 3), 1.0 / 3))
        self.kernel = nn.Parameter(torch.randn(channels, 1, width) * 0.3)
        self.readout = nn.Linear(channels, 1)

    def forward(self, x):
        x = torch.tanh(DepthwiseConv1d.apply(x, self.kernel))
        x = DepthwiseConv1d.apply(x, self.smooth)
        return self.readout(x.mean(-1))


torch.manual_seed(3)
signals = torch.randn(64, 4, 32)
targets = signals[:, 0, :8].sum(-1, keepdim=True)
model = FilterThenSmooth()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(60):
    optimizer.zero_grad()
    loss = F.smooth_l1_loss(model(signals), targets)
    loss.backward()
    optimizer.step()
