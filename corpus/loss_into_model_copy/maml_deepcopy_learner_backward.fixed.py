# First-order MAML written with a deep copy per task: the copy adapts on the support set, and the
# query loss is backpropagated into the copy, so the meta-model's optimizer steps with nothing.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))

    def forward(self, x):
        return self.body(x)


def sine_task():
    amplitude, phase = torch.rand(1) * 4 + 0.1, torch.rand(1) * 3.1
    x = torch.rand(20, 1) * 10 - 5
    return x[:10], amplitude * torch.sin(x[:10] + phase), x[10:], amplitude * torch.sin(x[10:] + phase)


meta_model = Regressor()
meta_opt = torch.optim.Adam(meta_model.parameters(), lr=1e-3)
for iteration in range(50):
    meta_opt.zero_grad()
    for _ in range(4):
        xs, ys, xq, yq = sine_task()
        fast = copy.deepcopy(meta_model)
        inner = torch.optim.SGD(fast.parameters(), lr=0.01)
        for _ in range(2):
            inner.zero_grad()
            F.mse_loss(fast(xs), ys).backward()
            inner.step()
        grads = torch.autograd.grad(F.mse_loss(fast(xq), yq), list(fast.parameters()))
        for p, g in zip(meta_model.parameters(), grads):
            p.grad = g if p.grad is None else p.grad + g
    meta_opt.step()
