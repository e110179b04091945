"""Polynomial fit whose coefficients are made by a helper: each is made trainable, then cast to
float64 and moved, so what the helper returns are copies the optimizer refuses."""
import torch


def init_coefficients(degree):
    slope = torch.randn(degree, requires_grad=True).double().cpu()
    offset = torch.zeros(1, requires_grad=True).double().cpu()
    return slope, offset


x = torch.linspace(-1, 1, 50, dtype=torch.float64)
y = 3 * x - 0.5
powers = torch.stack([x ** k for k in range(1, 3)], dim=1)
coefficients = init_coefficients(2)
optimizer = torch.optim.Adam(coefficients, lr=0.1)
for step in range(40):
    slope, offset = coefficients
    loss = ((powers @ slope + offset - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
