"""Ensemble members trained one by one, each with its own optimizer, then stacked with
torch.func.stack_module_state only to predict with all of them at once."""
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, stack_module_state, vmap

torch.manual_seed(0)
members = [nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1)) for _ in range(3)]
for member in members:
    optimizer = torch.optim.Adam(member.parameters(), lr=1e-2)
    for step in range(50):
        x = torch.randn(64, 5)
        loss = nn.functional.mse_loss(member(x), x.sum(dim=1, keepdim=True))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

params, buffers = stack_module_state(members)
base = copy.deepcopy(members[0]).to("meta")
with torch.no_grad():
    predictions = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(params, buffers, torch.randn(8, 5))
print(predictions.mean(dim=0).squeeze())
