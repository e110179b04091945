"""An ensemble of small regressors built and trained in functions; the optimizer is given the
members' parameters gathered in a list comprehension, with weight decay."""
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, stack_module_state, vmap

torch.manual_seed(0)


def build(n):
    models = [nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1)) for _ in range(n)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    optimizer = torch.optim.AdamW(params.values(), lr=3e-3, weight_decay=1e-4)
    return base, params, buffers, optimizer


def train(base, params, buffers, optimizer, steps=200):
    run = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))
    for _ in range(steps):
        x = torch.randn(128, 6)
        y = (x[:, :1] * 2 - x[:, 1:2]).tanh()
        loss = nn.functional.mse_loss(run(params, buffers, x), y.expand(len(params["0.weight"]), -1, -1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


train(*build(3))
