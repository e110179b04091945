# A model copied for fine-tuning, with a deep copy of the old optimizer kept only for its settings;
# the optimizer that steps is rebuilt over the copy after the copy was made.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)

base = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 1))
base_optimizer = torch.optim.SGD(base.parameters(), lr=0.05)
x, y = torch.randn(20, 4), torch.randn(20, 1)
for _ in range(3):
    base_optimizer.zero_grad()
    nn.functional.mse_loss(base(x), y).backward()
    base_optimizer.step()

tuned = copy.deepcopy(base)
settings = copy.deepcopy(base_optimizer).defaults
tuned_optimizer = torch.optim.SGD(tuned.parameters(), lr=settings["lr"] / 10)
for _ in range(4):
    tuned_optimizer.zero_grad()
    nn.functional.mse_loss(tuned(x), y).backward()
    tuned_optimizer.step()
