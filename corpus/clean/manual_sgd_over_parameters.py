"""Hand-written SGD with momentum over model.parameters(): the loop variable is updated in place
(through .data and under no_grad), never rebound. Correct."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 12), nn.ReLU(), nn.Linear(12, 1))
velocity = [torch.zeros_like(p) for p in model.parameters()]
x, y = torch.randn(64, 4), torch.randn(64, 1)

for step in range(10):
    model.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    with torch.no_grad():
        for param, v in zip(model.parameters(), velocity):
            v.mul_(0.9).add_(param.grad)
            param -= 0.05 * v
    for param in model.parameters():
        clipped = param.grad.clamp(-1, 1)
        param.data -= 0.0 * clipped
