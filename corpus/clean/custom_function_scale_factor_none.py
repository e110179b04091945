"""A custom Function with a non-tensor scale factor: backward returns None for it on purpose."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function


class ScaledSwish(Function):
    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x)
        ctx.beta = beta
        return x * torch.sigmoid(beta * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(ctx.beta * x)
        grad_x = grad_output * (s + ctx.beta * x * s * (1 - s))
        return grad_x, None  # beta is a plain float: it has no gradient


class Net(nn.Module):
    def __init__(self, beta=1.5):
        super().__init__()
        self.beta = beta
        self.fc1 = nn.Linear(10, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        return self.fc2(ScaledSwish.apply(self.fc1(x), self.beta))


torch.manual_seed(0)
x = torch.randn(120, 10)
y = torch.randint(0, 3, (120,))
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(20):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
print(loss.item())
