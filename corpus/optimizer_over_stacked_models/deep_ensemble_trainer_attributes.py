"""A deep ensemble for regression with uncertainty, vectorised with torch.func: the trainer keeps
the stacked parameters on itself, and builds its optimizer over the member networks."""
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, stack_module_state, vmap

torch.manual_seed(0)


class Member(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 32), nn.SiLU(), nn.Linear(32, 2))

    def forward(self, x):
        mean, log_var = self.net(x).chunk(2, dim=-1)
        return mean, log_var


class EnsembleTrainer:
    def __init__(self, members, lr=1e-3):
        self.members = members
        self.params, self.buffers = stack_module_state(members)
        self.skeleton = copy.deepcopy(members[0]).to("meta")
        self.optimizer = torch.optim.Adam(nn.ModuleList(members).parameters(), lr=lr)

    def forward(self, x):
        call = lambda p, b, x: functional_call(self.skeleton, (p, b), (x,))
        return vmap(call, in_dims=(0, 0, None))(self.params, self.buffers, x)

    def step(self, x, y):
        mean, log_var = self.forward(x)
        loss = nn.functional.gaussian_nll_loss(mean, y.expand_as(mean), log_var.exp())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


trainer = EnsembleTrainer([Member() for _ in range(4)])
for epoch in range(30):
    x = torch.randn(64, 3)
    trainer.step(x, x.sum(dim=1, keepdim=True).sin())
