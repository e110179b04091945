# A learned monotone activation defined implicitly: y solves y + y**3 / 3 = x elementwise, found by
# Newton's method whose derivative comes from autograd, and differentiated with the implicit
# function theorem in backward.
import torch
import torch.nn as nn


class CubicRoot(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, newton_steps):
        target = x.detach()
        y = target.clone().requires_grad_()
        for _ in range(newton_steps):
            residual = y + y ** 3 / 3 - target
            (slope,) = torch.autograd.grad(residual.sum(), y)
            y = (y - residual.detach() / slope).detach().requires_grad_()
        y = y.detach()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output / (1 + y ** 2), None


model = nn.Sequential(nn.Linear(4, 16), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)


def run_epoch(xs, ys):
    for x, y in zip(xs.split(32), ys.split(32)):
        hidden = CubicRoot.apply(model[0](x), 6)
        loss = ((model[1](hidden) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


torch.manual_seed(5)
xs = torch.randn(128, 4)
ys = xs.pow(2).sum(1, keepdim=True)
for epoch in range(20):
    print(epoch, run_epoch(xs, ys))
