"""Reptile (Nichol et al. 2018): each task trains a copy of the model with a few SGD steps, and
the model moves toward the adapted copy; the meta-optimizer is handed the difference between
the model and the copy as its gradient. The copy's own gradients are all used by its inner steps."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
outer = torch.optim.SGD(model.parameters(), lr=0.1)

for it in range(20):
    phase = torch.rand(1) * 3.14
    x = torch.linspace(-5, 5, 50).unsqueeze(1)
    y = torch.sin(x + phase)
    fast = copy.deepcopy(model)
    inner = torch.optim.Adam(fast.parameters(), lr=0.01)
    for _ in range(5):
        inner.zero_grad()
        F.mse_loss(fast(x), y).backward()
        inner.step()
    outer.zero_grad()
    for p, q in zip(model.parameters(), fast.parameters()):
        p.grad = p.detach() - q.detach()
    outer.step()
