# MAML on sine regression: each task adapts copies of the meta-network's weights with a few SGD
# steps (torch.func.functional_call), and the query loss of the adapted copies updates the
# meta-network.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
inner_lr, inner_steps = 0.05, 2


def net(x, w):
    return functional_call(model, w, (x,))


def task_batch(n=10):
    amplitude, phase = torch.rand(1) * 4 + 0.1, torch.rand(1) * math.pi
    x = torch.rand(2 * n, 1) * 10 - 5
    return x[:n], amplitude * torch.sin(x[:n] + phase), x[n:], amplitude * torch.sin(x[n:] + phase)


def adapt(x, y):
    fast = {k: v.clone().detach().requires_grad_() for k, v in model.named_parameters()}
    for _ in range(inner_steps):
        loss = F.mse_loss(net(x, fast), y)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
        fast = {k: v - inner_lr * g for (k, v), g in zip(fast.items(), grads)}
    return fast


for iteration in range(20):
    meta_opt.zero_grad()
    total = 0.0
    for _ in range(4):
        xs, ys, xq, yq = task_batch()
        fast = adapt(xs, ys)
        query_loss = F.mse_loss(net(xq, fast), yq)
        query_loss.backward()
        total += query_loss.item()
    meta_opt.step()
    if iteration % 5 == 0:
        print(f"iteration {iteration}: query loss {total / 4:.3f}")
