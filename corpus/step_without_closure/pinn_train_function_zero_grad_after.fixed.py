"""A small physics-informed network for u' = -2u, u(0) = 1, trained by a function that clears the
gradients after the step; the optimizer is L-BFGS, stepped without a closure."""
import torch
import torch.nn as nn

device = torch.device("cpu")


class Net(nn.Module):
    def __init__(self, width=20):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1))

    def forward(self, t):
        return self.body(t)


def residual(net, t):
    t = t.clone().requires_grad_(True)
    u = net(t)
    du = torch.autograd.grad(u, t, torch.ones_like(u), create_graph=True)[0]
    return du + 2.0 * u


def train(net, opt, points, steps):
    t0 = torch.zeros(1, 1, device=device)
    for step in range(steps):
        pts = points.to(device)

        def closure():
            opt.zero_grad()
            pde = residual(net, pts).pow(2).mean()
            ic = (net(t0) - 1.0).pow(2).mean()
            total = pde + 10.0 * ic
            total.backward()
            return total
        opt.step(closure)


torch.manual_seed(1)
net = Net().to(device)
points = torch.rand(256, 1) * 2.0
opt = torch.optim.LBFGS(net.parameters(), lr=0.5, max_iter=5, line_search_fn="strong_wolfe")
train(net, opt, points, steps=15)
print("u(1) =", net(torch.ones(1, 1)).item(), "expected", torch.exp(torch.tensor(-2.0)).item())
