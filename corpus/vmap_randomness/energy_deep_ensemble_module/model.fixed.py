"""Networks for the building energy regressor: each member is a small MLP with dropout that
predicts a mean and a standard deviation; the ensemble keeps every member's weights stacked
and runs all members on a batch in one vectorised call."""
import copy

import torch
from torch import nn
from torch.func import functional_call, stack_module_state


class Member(nn.Module):
    def __init__(self, features, hidden=48, p=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(features, hidden), nn.GELU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(p),
            nn.Linear(hidden, 2),
        )

    def forward(self, x):
        mean, raw_std = self.net(x).unbind(-1)
        return mean, nn.functional.softplus(raw_std) + 1e-3


class StackedEnsemble:
    def __init__(self, features, members=4):
        nets = [Member(features) for _ in range(members)]
        self.params, self.buffers = stack_module_state(nets)
        self.skeleton = copy.deepcopy(nets[0]).to("meta")

    def parameters(self):
        return list(self.params.values())

    def train(self, mode=True):
        self.skeleton.train(mode)
        return self

    def _member(self, params, buffers, x):
        return functional_call(self.skeleton, (params, buffers), (x,))

    def __call__(self, x):
        """Means and standard deviations of every member, each of shape [members, batch]."""
        return torch.vmap(self._member, in_dims=(0, 0, None), randomness="different")(self.params, self.buffers, x)
