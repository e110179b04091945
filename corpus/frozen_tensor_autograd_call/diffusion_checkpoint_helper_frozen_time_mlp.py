"""A diffusion U-Net block with guided-diffusion's own gradient checkpointing helper; the timestep
MLP is pretrained and frozen."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def checkpoint(func, inputs, params, flag):
    """Evaluate func without caching its activations; recompute them in backward."""
    if flag:
        return CheckpointFunction.apply(func, len(inputs), *(tuple(inputs) + tuple(params)))
    return func(*inputs)


class CheckpointFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, run_function, length, *args):
        ctx.run_function = run_function
        ctx.inputs = list(args[:length])
        ctx.params = list(args[length:])
        with torch.no_grad():
            return run_function(*ctx.inputs)

    @staticmethod
    def backward(ctx, grad_output):
        inputs = [x.detach().requires_grad_(True) for x in ctx.inputs]
        with torch.enable_grad():
            output = ctx.run_function(*[x.view_as(x) for x in inputs])
        grads = torch.autograd.grad(output, inputs + ctx.params, grad_output, allow_unused=True)
        return (None, None) + grads


class ResBlock(nn.Module):
    def __init__(self, channels=8, time_dim=16):
        super().__init__()
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, channels), nn.SiLU())
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def _forward(self, x, t):
        h = F.silu(self.conv1(x)) + self.time_mlp(t)[:, :, None, None]
        return x + self.conv2(F.silu(h))

    def forward(self, x, t):
        return checkpoint(self._forward, (x, t), self.parameters(), True)


torch.manual_seed(0)
block = ResBlock()
block.time_mlp.requires_grad_(False)  # pretrained timestep embedding, kept fixed
optimizer = torch.optim.Adam([p for p in block.parameters() if p.requires_grad], lr=1e-3)
for step in range(20):
    x, t = torch.randn(16, 8, 8, 8), torch.randn(16, 16)
    noise = torch.randn_like(x)
    loss = F.mse_loss(block(x + noise, t), x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
