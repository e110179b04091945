# Reptile whose meta-update was forgotten: each task trains a deep copy of the model with its own
# optimizer, and the outer optimizer steps without ever being handed the difference between the
# model and the adapted copy (`p.grad = p - q`). Every gradient went to the copies and was used
# by their inner steps; the outer optimizer has nothing. The right meta-gradient is not a loss's
# gradient, so gradfix names the idle optimizer and the copies, and leaves the change to the user.
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
    outer.step()
