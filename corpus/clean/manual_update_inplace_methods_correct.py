"""Hand-written updates with in-place tensor methods, all correct: a step function decorated with
@torch.no_grad(), an update through .data, and an exponential moving average of the weights."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


@torch.no_grad()
def sgd_step(params, lr):
    for p in params:
        p.add_(p.grad, alpha=-lr)
        p.grad = None


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
head_bias = torch.zeros(2, requires_grad=True)
ema = copy.deepcopy(model).requires_grad_(False)
x, y = torch.randn(128, 6), torch.randint(0, 2, (128,))

for step in range(8):
    loss = F.cross_entropy(model(x) + head_bias, y)
    loss.backward()
    sgd_step(model.parameters(), lr=0.1)
    head_bias.data.sub_(0.1 * head_bias.grad)
    head_bias.grad.zero_()
    for e, p in zip(ema.parameters(), model.parameters()):
        e.mul_(0.9).add_(p.detach(), alpha=0.1)
    print(step, round(loss.item(), 4))
