"""Warm up a regressor with Adam, then refine with L-BFGS, through one fit() function written for
Adam: the second phase steps L-BFGS the plain way."""
import torch
import torch.nn as nn


def mse_loss(model, x, y):
    return ((model(x) - y) ** 2).mean()


def fit(model, optimizer, x, y, epochs):
    history = []
    for epoch in range(epochs):
        def closure():
            optimizer.zero_grad()
            loss = mse_loss(model, x, y)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        history.append(loss.item())
    return history


torch.manual_seed(0)
x = torch.rand(200, 3) * 2 - 1
y = (x[:, :1] * x[:, 1:2] + torch.sin(3 * x[:, 2:])).detach()
regressor = nn.Sequential(nn.Linear(3, 48), nn.SiLU(), nn.Linear(48, 1))

warmup = fit(regressor, torch.optim.Adam(regressor.parameters(), lr=1e-2), x, y, epochs=20)
refine = fit(
    regressor,
    torch.optim.LBFGS(regressor.parameters(), lr=1.0, max_iter=10, line_search_fn="strong_wolfe"),
    x, y, epochs=5,
)
print(f"adam: {warmup[0]:.4f} -> {warmup[-1]:.4f}; lbfgs: {refine[0]:.4f} -> {refine[-1]:.4f}")
