"""The PyTorch tutorial's LinearFunction, with ctx.needs_input_grad checks: a gradient is only
computed for inputs that need one, and every input still gets its slot in the return."""
import torch
import torch.nn as nn
from torch.autograd import Function


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class Linear(nn.Module):
    def __init__(self, input_features, output_features, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(output_features, input_features).uniform_(-0.1, 0.1))
        self.bias = nn.Parameter(torch.empty(output_features).uniform_(-0.1, 0.1)) if bias else None

    def forward(self, input):
        if self.bias is None:
            return LinearFunction.apply(input, self.weight)
        return LinearFunction.apply(input, self.weight, self.bias)


model = nn.Sequential(Linear(5, 20, bias=False), nn.ReLU(), Linear(20, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(64, 5)
y = x.sum(1, keepdim=True)
for step in range(30):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
