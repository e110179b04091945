"""A masked linear layer (MADE-style autoregressive mask) in a small density model."""
import math

import torch
import torch.nn as nn


class MaskedLinear(nn.Module):
    def __init__(self, in_features, out_features, mask):
        super().__init__()
        self.register_buffer("weight", torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.register_buffer("mask", mask)
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x):
        return nn.functional.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    def __init__(self, d=4, hidden=12):
        super().__init__()
        degrees_in = torch.arange(1, d + 1)
        degrees_h = torch.arange(hidden) % (d - 1) + 1
        self.fc1 = MaskedLinear(d, hidden, (degrees_h[:, None] >= degrees_in[None, :]).float())
        self.fc2 = MaskedLinear(hidden, d, (degrees_in[:, None] > degrees_h[None, :]).float())

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


torch.manual_seed(0)
data = (torch.rand(64, 4) > 0.5).float()
made = MADE()
optim = torch.optim.SGD(made.parameters(), lr=0.1)
for step in range(40):
    logits = made(data)
    nll = nn.functional.binary_cross_entropy_with_logits(logits, data)
    optim.zero_grad()
    nll.backward()
    optim.step()
print("nll", nll.item())
