# Tabular regression on a target that is quadratic in each feature: a hand-written Function
# expands every input feature as a + b*x + c*x^2 with three learned coefficient vectors, and a
# linear head reads the expansion.
import torch
from torch import nn

torch.manual_seed(0)
FEATURES = 8


class Quadratic(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, *coeffs):
        a, b, c = coeffs
        ctx.save_for_backward(x, b, c)
        return a + b * x + c * x * x

    @staticmethod
    def backward(ctx, grad_out):
        x, b, c = ctx.saved_tensors
        grad_x = grad_out * (b + 2 * c * x)
        return grad_x, *(grad_out.sum(0), (grad_out * x).sum(0), (grad_out * x * x).sum(0))


class QuadraticRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.coeffs = nn.ParameterList([
            nn.Parameter(torch.zeros(FEATURES)),
            nn.Parameter(torch.ones(FEATURES)),
            nn.Parameter(torch.zeros(FEATURES)),
        ])
        self.head = nn.Linear(FEATURES, 1)

    def forward(self, x):
        return self.head(Quadratic.apply(x, *self.coeffs)).squeeze(-1)


x = torch.randn(512, FEATURES)
y = (x ** 2 * torch.linspace(-1, 1, FEATURES)).sum(1) + 0.1 * torch.randn(512)
model = QuadraticRegressor()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

for epoch in range(15):
    perm = torch.randperm(512)
    for i in range(0, 512, 64):
        idx = perm[i:i + 64]
        loss = ((model(x[idx]) - y[idx]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"mse {loss.item():.4f}")
