"""A project context manager that enters no_grad, used where it belongs: around validation. The
training step runs outside it. Correct."""
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F


@contextmanager
def evaluating(model):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        yield
    model.train(was_training)


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.1), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(64, 4), torch.randn(64, 1)
x_val, y_val = torch.randn(16, 4), torch.randn(16, 1)
for epoch in range(6):
    optimizer.zero_grad()
    F.mse_loss(model(x), y).backward()
    optimizer.step()
    with evaluating(model):
        validation = F.mse_loss(model(x_val), y_val).item()
