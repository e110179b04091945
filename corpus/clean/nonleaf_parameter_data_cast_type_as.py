"""Correct: `.type_as` casts the inputs (no gradients), and the weights made with dtype= are
leaves; a function returns the weights as a tuple."""
import torch


def make_weights(like):
    w = torch.zeros(5, 1, dtype=like.dtype, requires_grad=True)
    b = torch.zeros(1, dtype=like.dtype, requires_grad=True)
    return w, b


targets = torch.randn(40, 1, dtype=torch.float64)
inputs = torch.randn(40, 5).type_as(targets)
weights = make_weights(targets)
optimizer = torch.optim.SGD(weights, lr=0.1)
for step in range(20):
    w, b = weights
    loss = ((inputs @ w + b - targets) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
