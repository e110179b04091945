"""A masked layer that applies its mask in the forward pass out of place, and a logged copy of the
weights edited in place (a clone, not the parameter)."""
import torch
from torch import nn


class MaskedLinear(nn.Linear):
    def __init__(self, n_in, n_out):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", torch.tril(torch.ones(n_out, n_in)))

    def forward(self, x):
        return nn.functional.linear(x, self.weight * self.mask, self.bias)


torch.manual_seed(1)
layer = MaskedLinear(10, 10)
opt = torch.optim.SGD(layer.parameters(), lr=0.05)
x, y = torch.randn(64, 10), torch.randn(64, 10)
for step in range(5):
    loss = (layer(x) - y).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    snapshot = layer.weight.detach().clone()
    snapshot[layer.mask == 0] = 0.0
    snapshot.mul_(2.0)
    print(step, loss.item(), snapshot.abs().sum().item())
