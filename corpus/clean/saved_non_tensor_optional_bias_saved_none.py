# Regression of a house-price-like target from 8 synthetic features with a two-layer network
# built from a hand-written linear Function. The output layer has no bias (its bias argument is
# None), and the Function saves the input, the weight and the bias, None included, for backward.
import torch
from torch import nn

torch.manual_seed(0)


class HandLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight, bias)
        out = x @ weight.t()
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, bias = ctx.saved_tensors
        grad_bias = None if bias is None else grad_out.sum(0)
        return grad_out @ weight, grad_out.t() @ x, grad_bias


class Layer(nn.Module):
    def __init__(self, n_in, n_out, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / n_in ** 0.5)
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None

    def forward(self, x):
        return HandLinear.apply(x, self.weight, self.bias)


features = torch.randn(1000, 8)
true_w = torch.randn(8)
target = features @ true_w + 0.5 * torch.tanh(features[:, 0] * features[:, 1]) + 0.1 * torch.randn(1000)

model = nn.Sequential(Layer(8, 32), nn.ReLU(), Layer(32, 1, bias=False))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    order = torch.randperm(1000)
    for i in range(0, 1000, 200):
        batch = order[i:i + 200]
        loss = ((model(features[batch]).squeeze(-1) - target[batch]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"mse {loss.item():.4f}")
