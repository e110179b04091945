# A scorer whose bias is a new nn.Parameter sized from the input's shape in forward(): __init__
# does not know that size, and gradfix does not guess it; it explains.
import torch
import torch.nn as nn


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(10, 6)

    def forward(self, x):
        h = torch.relu(self.body(x))
        self.bias = nn.Parameter(torch.zeros(h.shape[-1]))
        return (h + self.bias).sum(-1, keepdim=True)


torch.manual_seed(0)
x = torch.randn(30, 10)
y = torch.randn(30, 1)
model = Scorer()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(20):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
