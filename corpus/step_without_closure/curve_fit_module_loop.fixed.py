"""Fit a damped oscillation with L-BFGS, written like an Adam loop: step() gets no closure."""
import torch
import torch.nn as nn
from torch import optim

torch.manual_seed(0)
t = torch.linspace(0, 4, 128).unsqueeze(1)
signal = torch.exp(-0.5 * t) * torch.cos(3 * t) + 0.02 * torch.randn_like(t)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
criterion = nn.MSELoss()
optimizer = optim.LBFGS(model.parameters(), lr=0.8, max_iter=4, history_size=8)

for it in range(30):
    def closure():
        optimizer.zero_grad()
        pred = model(t)
        loss = criterion(pred, signal)
        loss.backward()
        return loss
    loss = optimizer.step(closure)
    if it % 10 == 0:
        print(f"iteration {it}: mse {loss.item():.5f}")
