# A regression MLP built from a hand-written linear Function: backward computes the weight's gradient
# as input^T @ grad, which is [in, out], while the weight is [out, in].
import torch
import torch.nn as nn
from torch.autograd import Function


class MyLinear(Function):
    @staticmethod
    def forward(ctx, inp, weight, bias):
        ctx.save_for_backward(inp, weight)
        return inp @ weight.t() + bias

    @staticmethod
    def backward(ctx, grad_out):
        inp, weight = ctx.saved_tensors
        return grad_out @ weight, (inp.t() @ grad_out).t(), grad_out.sum(0)


class Layer(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / n_in ** 0.5)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return MyLinear.apply(x, self.weight, self.bias)


torch.manual_seed(7)
net = nn.Sequential(Layer(6, 12), nn.ReLU(), Layer(12, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.randn(200, 6)
y = x[:, :2].prod(1, keepdim=True)
for it in range(200):
    loss = ((net(x) - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
