"""Correct first-order MAML: each task adapts a deep copy of the network, backpropagates the
query loss into the copy, and then adds the copy's gradients into the network's own before the
meta step."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
meta_opt = torch.optim.Adam(net.parameters(), lr=1e-3)


def sine_task():
    amp, phase = 0.1 + 4.9 * torch.rand(1), 3.14 * torch.rand(1)
    x = 10 * torch.rand(20, 1) - 5
    y = amp * torch.sin(x + phase)
    return (x[:10], y[:10]), (x[10:], y[10:])


for it in range(20):
    meta_opt.zero_grad()
    for _ in range(3):
        (xs, ys), (xq, yq) = sine_task()
        learner = copy.deepcopy(net)
        inner = torch.optim.SGD(learner.parameters(), lr=0.02)
        for _ in range(3):
            inner.zero_grad()
            F.mse_loss(learner(xs), ys).backward()
            inner.step()
        learner.zero_grad()
        F.mse_loss(learner(xq), yq).backward()
        for p, q in zip(net.parameters(), learner.parameters()):
            p.grad = q.grad.clone() if p.grad is None else p.grad + q.grad
    meta_opt.step()
