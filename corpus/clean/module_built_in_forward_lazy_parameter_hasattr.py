"""A bias made in the first forward (`if not hasattr`), sized by the input, before the optimizer is
built: a lazy initialisation, like nn.LazyLinear. Correct: the optimizer holds it."""
import torch
import torch.nn as nn


class LazyBiasHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(10, 6)

    def forward(self, x):
        h = torch.relu(self.body(x))
        if not hasattr(self, "bias"):
            self.bias = nn.Parameter(torch.zeros(h.shape[-1], device=h.device))
        return (h + self.bias).sum(-1, keepdim=True)


torch.manual_seed(0)
x = torch.randn(30, 10)
y = torch.randn(30, 1)
model = LazyBiasHead()
model(x[:2])  # dry run: makes the bias
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(20):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
