# A surrogate model of a smooth 2-D simulator response: radial-basis features from the helper
# module (learned centres, widths and amplitudes) feed a linear readout trained with Adam.
import math

import torch
from torch import nn

from layers import RBFFeatures

torch.manual_seed(0)
inputs = torch.rand(400, 2) * 4 - 2
targets = torch.sin(inputs[:, 0] * math.pi / 2) * torch.exp(-inputs[:, 1] ** 2)
model = nn.Sequential(RBFFeatures(2, 24), nn.Linear(24, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(25):
    for i in range(0, 400, 40):
        pred = model(inputs[i:i + 40]).squeeze(-1)
        loss = ((pred - targets[i:i + 40]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"mse {loss.item():.5f}")
