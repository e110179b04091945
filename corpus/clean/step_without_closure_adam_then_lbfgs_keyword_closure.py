"""One fit() for both phases, written for L-BFGS from the start: every step gets the closure (as a
keyword), so Adam's warm-up and L-BFGS's refinement both run through it."""
import torch
import torch.nn as nn


def fit(model, optimizer, x, y, epochs):
    losses = []
    for epoch in range(epochs):

        def closure():
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            return loss

        loss = optimizer.step(closure=closure)
        losses.append(loss.item())
    return losses


torch.manual_seed(0)
x = torch.linspace(-1, 1, 100).unsqueeze(1)
y = x.pow(3) - 0.5 * x + 0.05 * torch.randn_like(x)
model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
adam = fit(model, torch.optim.Adam(model.parameters(), lr=1e-2), x, y, epochs=15)
lbfgs = fit(model, torch.optim.LBFGS(model.parameters(), max_iter=5, line_search_fn="strong_wolfe"), x, y, epochs=4)
print(f"adam {adam[0]:.4f} -> {adam[-1]:.4f}; lbfgs {lbfgs[0]:.4f} -> {lbfgs[-1]:.4f}")
