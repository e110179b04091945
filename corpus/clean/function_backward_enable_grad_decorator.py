# A custom Function whose backward is decorated with torch.enable_grad(): the recomputation
# builds its graph, and autograd.grad differentiates it (a straight-through soft clamp).
import torch
import torch.nn as nn


class SoftClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, limit):
        ctx.save_for_backward(x, limit)
        return limit * torch.tanh(x / limit)

    @staticmethod
    @torch.enable_grad()
    def backward(ctx, grad_output):
        x, limit = ctx.saved_tensors
        x = x.detach().requires_grad_()
        limit = limit.detach().requires_grad_()
        out = limit * torch.tanh(x / limit)
        grad_x, grad_limit = torch.autograd.grad(out, (x, limit), grad_output)
        return grad_x, grad_limit


class ClampedHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
        self.limit = nn.Parameter(torch.tensor(2.0))

    def forward(self, x):
        return SoftClamp.apply(self.body(x), self.limit)


torch.manual_seed(0)
model = ClampedHead()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(200, 5)
y = (3 * x[:, :1]).clamp(-1.5, 1.5)
for step in range(100):
    loss = ((model(x) - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item(), model.limit.item())
