"""Correct: the vector of per-sample losses is backpropagated with an explicit gradient (each
sample's share of the mean), as some importance-sampling code does."""
import torch
from torch import nn

torch.manual_seed(0)

x = torch.randn(128, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.05 * torch.randn(128, 1)

model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for step in range(50):
    idx = torch.randint(0, 128, (32,))
    losses = ((model(x[idx]) - y[idx]) ** 2).squeeze(1)
    share = torch.full_like(losses, 1.0 / losses.numel())
    optimizer.zero_grad()
    losses.backward(gradient=share)
    optimizer.step()

print("learned weights:", model.weight.data.squeeze().tolist())
