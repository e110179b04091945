# A bagged ensemble of multi-horizon forecasters for a noisy seasonal series: each member sees its
# own bootstrap resample of the training windows, the members' parameters are stacked and all of
# them run at once with vmap over functional_call, and one Adam optimizer trains the stack.
import copy
import math

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from model import HorizonForecaster

LAGS, HORIZON, MEMBERS = 16, 4, 5

torch.manual_seed(0)
t = torch.arange(1200, dtype=torch.float32)
series = torch.sin(2 * math.pi * t / 50) + 0.5 * torch.sin(2 * math.pi * t / 13) + 0.1 * torch.randn(1200)
starts = torch.arange(0, 1200 - LAGS - HORIZON)
windows = torch.stack([series[s:s + LAGS] for s in starts])
targets = torch.stack([series[s + LAGS:s + LAGS + HORIZON] for s in starts])

members = nn.ModuleList(HorizonForecaster(LAGS, 32, HORIZON) for _ in range(MEMBERS))
stacked, stacked_buffers = stack_module_state(list(members))
template = copy.deepcopy(members[0]).to("meta")
optimizer = torch.optim.Adam(stacked.values(), lr=3e-3)


def member_forecast(params, buffers, window):
    return functional_call(template, (params, buffers), (window,))


ensemble = vmap(member_forecast, in_dims=(0, 0, 0))

for step in range(150):
    picks = torch.randint(0, len(windows), (MEMBERS, 64))
    pred = ensemble(stacked, stacked_buffers, windows[picks])
    loss = (pred - targets[picks]).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step}: bagged mse {loss.item():.4f}")

with torch.no_grad():
    mean_forecast = ensemble(stacked, stacked_buffers, windows[:200].expand(MEMBERS, -1, -1)).mean(0)
    print(f"ensemble-mean mse on the first 200 windows {(mean_forecast - targets[:200]).pow(2).mean().item():.4f}")
