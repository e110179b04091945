# Correct: an argmin layer whose forward solves its inner problem with torch.autograd.grad under
# torch.enable_grad() (autograd runs forward with gradients off), and differentiates implicitly.
import torch
import torch.nn as nn


class SmoothArgmin(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, lam):
        y = z.detach().clone().requires_grad_()
        with torch.enable_grad():
            for _ in range(25):
                objective = (0.5 * (y - z) ** 2 + lam * torch.log(torch.cosh(y))).sum()
                (g,) = torch.autograd.grad(objective, y)
                y = (y - 0.5 * g).detach().requires_grad_()
        y = y.detach()
        ctx.save_for_backward(y)
        ctx.lam = lam
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output / (1.0 + ctx.lam / torch.cosh(y) ** 2), None


net = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16))
head = nn.Linear(16, 1)
opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=5e-3)
torch.manual_seed(0)
for step in range(40):
    x = torch.randn(32, 6)
    target = x.sum(1, keepdim=True)
    loss = ((head(SmoothArgmin.apply(net(x), 0.3)) - target) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
