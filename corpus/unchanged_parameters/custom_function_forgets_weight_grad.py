# A hand-written linear layer (custom autograd.Function) inside a small regressor.
import torch
import torch.nn as nn


class LinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.t() + bias

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        grad_x = grad_out @ weight
        grad_bias = grad_out.sum(0)
        return grad_x, None, grad_bias


class MyLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / n_in ** 0.5)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return LinearFn.apply(x, self.weight, self.bias)


torch.manual_seed(0)
x = torch.randn(128, 6)
y = x @ torch.randn(6, 1) + 0.3
model = nn.Sequential(MyLinear(6, 16), nn.Tanh(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(5):
    for i in range(0, 128, 32):
        loss = nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
