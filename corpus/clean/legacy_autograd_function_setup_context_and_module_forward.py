"""A new-style Function with setup_context (usable under torch.func), and a plain nn.Module whose
forward and backward-like helper are ordinary methods: nothing old-style here."""
import torch
from torch import nn


class SquaredHinge(torch.autograd.Function):
    @staticmethod
    def forward(margin):
        return torch.clamp(1 - margin, min=0) ** 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        (margin,) = inputs
        ctx.save_for_backward(margin)

    @staticmethod
    def backward(ctx, grad_output):
        (margin,) = ctx.saved_tensors
        return grad_output * -2 * torch.clamp(1 - margin, min=0)


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(6, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def backward(self, scores):
        """Named like autograd's method, but an ordinary helper: scores back to inputs' scale."""
        return scores / self.linear.weight.norm()


torch.manual_seed(0)
model = Scorer()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(128, 6)
y = torch.where(x[:, 0] > 0, 1.0, -1.0)
for epoch in range(10):
    loss = SquaredHinge.apply(y * model(x)).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.3f}, scale {model.backward(model(x[:4])).abs().mean().item():.3f}")
