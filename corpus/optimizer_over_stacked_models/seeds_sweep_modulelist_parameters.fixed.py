"""Several seeds of one model trained at once (a hyper-parameter sweep vectorised with vmap): the
models are kept in an nn.ModuleList whose parameters() go to the optimizer."""
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, stack_module_state, vmap


def make(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.GELU(), nn.Linear(16, 4))


sweep = nn.ModuleList([make(seed) for seed in range(4)])
stacked, stacked_buffers = stack_module_state(list(sweep))
meta = copy.deepcopy(sweep[0]).to("meta")
optimizer = torch.optim.SGD(stacked.values(), lr=0.05, momentum=0.9)


def batched(x):
    return vmap(lambda p, b: functional_call(meta, (p, b), (x,)))(stacked, stacked_buffers)


for epoch in range(50):
    x = torch.randn(32, 4)
    loss = (batched(x) - x.flip(-1)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
