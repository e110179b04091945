# Correct: the optimizer takes the layers picked by type, and the FiLM block's gain, which the
# filter leaves out, is updated by hand after every step (a slower, sign-based update of its own).
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F


class FiLM(nn.Module):
    def __init__(self, n_cond, dim):
        super().__init__()
        self.cond = nn.Embedding(n_cond, dim)
        self.gain = nn.Parameter(torch.ones(dim))

    def forward(self, h, c):
        return h * (self.gain + self.cond(c))


class ConditionedMLP(nn.Module):
    def __init__(self, d_in=12, hidden=32, n_cond=4, n_out=3):
        super().__init__()
        self.inp = nn.Linear(d_in, hidden)
        self.film = FiLM(n_cond, hidden)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x, c):
        return self.out(F.relu(self.film(self.inp(x), c)))


def build(layers, lr):
    return torch.optim.Adam(itertools.chain.from_iterable(layer.parameters() for layer in layers), lr=lr)


torch.manual_seed(0)
model = ConditionedMLP()
optimizer = build([m for m in model.modules() if isinstance(m, (nn.Linear, nn.Embedding))], 3e-3)
x = torch.randn(256, 12)
c = torch.randint(0, 4, (256,))
y = (x[:, 0] > 0).long() + (c % 2)
for epoch in range(20):
    for i in range(0, 256, 64):
        loss = F.cross_entropy(model(x[i:i + 64], c[i:i + 64]), y[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.film.gain -= 1e-3 * model.film.gain.grad.sign()
    print(epoch, loss.item())
