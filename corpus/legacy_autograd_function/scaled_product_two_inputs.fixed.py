import torch
from torch import nn


class _ScaledProductFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, self, a, b):
        ctx.module = self
        ctx.save_for_backward(a, b)
        return a * b * self.scale

    @staticmethod
    def backward(ctx, grad_output):
        self = ctx.module
        a, b = ctx.saved_tensors
        grad_a = grad_output * b * self.scale
        grad_b = grad_output * a * self.scale
        return None, grad_a, grad_b


class ScaledProduct(nn.Module):
    """a * b * scale, written by hand (a memory-saving gate from an old codebase)."""

    def __init__(self, scale=1.0):
        super(ScaledProduct, self).__init__()
        self.scale = scale

    def forward(self, a, b):
        return _ScaledProductFunction.apply(self, a, b)


class GatedUnit(nn.Module):
    def __init__(self, width=24):
        super().__init__()
        self.value = nn.Linear(width, width)
        self.gate = nn.Linear(width, width)

    def forward(self, x):
        return ScaledProduct(0.5)(self.value(x), torch.sigmoid(self.gate(x)))


def main():
    torch.manual_seed(0)
    model = nn.Sequential(GatedUnit(), nn.ReLU(), nn.Linear(24, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(128, 24)
    y = x[:, :1] * 2
    for step in range(20):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"final loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
