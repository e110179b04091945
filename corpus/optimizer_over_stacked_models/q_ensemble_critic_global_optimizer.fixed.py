"""An ensemble of Q critics (as in REDQ) evaluated with one vmap; the optimizer is built over the
critics with keyword params=."""
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, stack_module_state, vmap

torch.manual_seed(0)
N_CRITICS, OBS, ACT = 6, 8, 2

critics = [nn.Sequential(nn.Linear(OBS + ACT, 64), nn.ReLU(), nn.Linear(64, 1)) for _ in range(N_CRITICS)]
critic_params, critic_buffers = stack_module_state(critics)
critic_base = copy.deepcopy(critics[0]).to("meta")
q_all = vmap(lambda p, b, sa: functional_call(critic_base, (p, b), (sa,)), in_dims=(0, 0, None))
critic_optimizer = torch.optim.Adam(params=critic_params.values(), lr=3e-4)

for update in range(100):
    obs, act = torch.randn(256, OBS), torch.randn(256, ACT)
    reward = torch.randn(256, 1)
    q = q_all(critic_params, critic_buffers, torch.cat([obs, act], dim=-1))
    loss = ((q - reward) ** 2).mean()
    critic_optimizer.zero_grad()
    loss.backward()
    critic_optimizer.step()
