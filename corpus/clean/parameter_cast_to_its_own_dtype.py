"""Casts after nn.Parameter(...) that are correct: a cast to the dtype the tensor already has
returns the Parameter itself (still registered, still a leaf), and a frozen constant kept as a
plain float64 tensor is not meant to train."""
import torch
import torch.nn as nn


class Calibrator(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.body = nn.Linear(8, classes, dtype=torch.float64)
        self.bias = nn.Parameter(torch.zeros(classes, dtype=torch.float64), requires_grad=True).double()
        self.scale = nn.Parameter(torch.ones(1)).float()
        # a fixed prior, never trained: requires_grad=False, so the copy is just a constant
        self.prior = nn.Parameter(torch.full((classes,), 0.25), requires_grad=False).to(torch.float64)

    def forward(self, x):
        logits = self.body(x) * self.scale.double() + self.bias
        return logits + self.prior.log()


torch.manual_seed(0)
x = torch.randn(128, 8, dtype=torch.float64)
y = torch.randint(0, 4, (128,))
model = Calibrator()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(6):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, round(loss.item(), 4))
