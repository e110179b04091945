# An MLP with a learnable Swish (x * sigmoid(beta * x)). The activation is a custom Function
# whose backward re-runs the forward and asks autograd for both gradients.
import torch
import torch.nn as nn

torch.manual_seed(0)


class SwishFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x, beta)
        return x * torch.sigmoid(beta * x)

    @staticmethod
    def backward(ctx, grad_output):
        x, beta = ctx.saved_tensors
        out = x * torch.sigmoid(beta * x)
        grad_x, grad_beta = torch.autograd.grad(out, [x, beta], grad_output)
        return grad_x, grad_beta


class Swish(nn.Module):
    def __init__(self):
        super().__init__()
        self.beta = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return SwishFn.apply(x, self.beta)


model = nn.Sequential(nn.Linear(8, 32), Swish(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
inputs = torch.randn(128, 8)
targets = inputs[:, :1] * 2.0 - inputs[:, 1:2]

for epoch in range(20):
    for i in range(0, 128, 32):
        x, y = inputs[i : i + 32], targets[i : i + 32]
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
