# Pinball-loss regressor in a fit() function: the loss is kept with np.asarray for the history and
# re-wrapped with torch.tensor(..., requires_grad=True) before backward().
import numpy as np
import torch
import torch.nn as nn


def pinball(pred, target, q=0.9):
    diff = target - pred
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def fit(model, x, y, epochs=3, lr=1e-2):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        for xb, yb in zip(x.split(40), y.split(40)):
            opt.zero_grad()
            loss = pinball(model(xb).squeeze(1), yb)
            history.append(loss.item())
            loss.backward()
            opt.step()
    return np.stack(history)


torch.manual_seed(5)
x = torch.rand(120, 3)
y = 2 * x[:, 0] + torch.randn(120) * x[:, 1]
model = nn.Sequential(nn.Linear(3, 16), nn.GELU(), nn.Linear(16, 1))
print(fit(model, x, y)[-3:])
