# Layer-wise gradient scaling done right: every closure made in the loop binds the loop's value
# when it is made (a default argument, functools.partial, a factory), or reads only its own
# arguments; the per-group schedule is built the same way.
import functools

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR


def scale_grad(grad, factor):
    return grad * factor


def clipping_hook(limit):
    def hook(grad):
        return grad.clamp(-limit, limit)
    return hook


model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
layers = [m for m in model if isinstance(m, nn.Linear)]
factors = [0.25, 0.5, 1.0]
for depth, (layer, factor) in enumerate(zip(layers, factors)):
    layer.weight.register_hook(lambda grad, factor=factor: grad * factor)
    layer.bias.register_hook(functools.partial(scale_grad, factor=factor))
    layer.weight.register_hook(lambda grad: torch.nan_to_num(grad))
    layer.bias.register_hook(clipping_hook(1.0 + depth))

optimizer = torch.optim.SGD(
    [{"params": layer.parameters(), "mult": m} for layer, m in zip(layers, [0.5, 0.8, 1.0])], lr=0.05,
)
lambdas = []
for group in optimizer.param_groups:
    lambdas.append(functools.partial(lambda epoch, mult: mult * 0.9 ** epoch, mult=group["mult"]))
scheduler = LambdaLR(optimizer, lambdas)

torch.manual_seed(0)
x = torch.randn(256, 10)
y = (x[:, 0] > x[:, 1]).long()
for epoch in range(6):
    for xb, yb in zip(x.split(32), y.split(32)):
        loss = nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(epoch, loss.item())
