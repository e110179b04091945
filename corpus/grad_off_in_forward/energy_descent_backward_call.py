# Structured prediction with an energy layer: forward refines its output by a few steps of
# gradient descent on a quadratic energy, using .backward() on the energy and the output's .grad.
import torch
from torch import nn


class EnergyRefine(torch.autograd.Function):
    @staticmethod
    def forward(ctx, unary, steps, lr):
        unary = unary.detach()
        y = torch.zeros_like(unary, requires_grad=True)
        for _ in range(steps):
            # smoothness between neighbouring positions plus the unary fit
            energy = ((y - unary) ** 2).sum() + 0.5 * ((y[:, 1:] - y[:, :-1]) ** 2).sum()
            energy.backward()
            with torch.no_grad():
                y -= lr * y.grad
            y.grad = None
        ctx.save_for_backward(y.detach())
        return y.detach()

    @staticmethod
    def backward(ctx, grad_output):
        # the refinement is close to the identity for a small step count
        return grad_output, None, None


class Trainer:
    def __init__(self):
        self.net = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 20))
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.05, momentum=0.9)

    def step(self, x, target):
        refined = EnergyRefine.apply(self.net(x), 10, 0.1)
        loss = ((refined - target) ** 2).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def fit(self, epochs):
        for epoch in range(epochs):
            x = torch.randn(32, 8)
            target = torch.cumsum(x[:, :1].expand(32, 20) * 0.1, dim=1)
            print(epoch, self.step(x, target))


if __name__ == "__main__":
    torch.manual_seed(1)
    Trainer().fit(40)
