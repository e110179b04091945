# Correct: the optimizer is made from the model's leaf modules and wrapped in an object of the
# script's own, and the head's per-channel scale (which sits on a module with children, so the leaf
# walk leaves it out) is a fixed calibration constant: it was made with requires_grad=False.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, dim, n_out):
        super().__init__()
        self.hidden = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, n_out)
        self.scale = nn.Parameter(torch.full((n_out,), 2.0), requires_grad=False)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x))) * self.scale


class Wrapper:
    def __init__(self, opt):
        self.opt = opt

    def step(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad()


def flatten(m):
    children = list(m.children())
    return sum(map(flatten, children), []) if children else [m]


def build_optimizer(model, lr):
    return Wrapper(torch.optim.Adam([p for m in flatten(model) for p in m.parameters()], lr=lr))


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), Head(16, 2))
optimizer = build_optimizer(model, 1e-2)
x, y = torch.randn(128, 8), torch.randn(128, 2)
for epoch in range(20):
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(epoch, loss.item())
