"""MAML on sinusoid regression (Finn et al. 2017): a 1-40-40-1 MLP adapted with two gradient
steps per task on 10 support points, meta-trained on the query points."""
from collections import OrderedDict

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SineMLP(nn.Module):
    def __init__(self, hidden=40):
        super().__init__()
        self.hidden1 = nn.Linear(1, hidden)
        self.hidden2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, params=None):
        if params is None:
            params = OrderedDict(self.named_parameters())
        x = F.relu(F.linear(x, params["hidden1.weight"], params["hidden1.bias"]))
        x = F.relu(F.linear(x, params["hidden2.weight"], params["hidden2.bias"]))
        return F.linear(x, params["out.weight"], params["out.bias"])


def sine_task(k_shot=10, k_query=10):
    amplitude = torch.empty(1).uniform_(0.1, 5.0)
    phase = torch.empty(1).uniform_(0.0, math.pi)
    x = torch.empty(k_shot + k_query, 1).uniform_(-5.0, 5.0)
    y = amplitude * torch.sin(x + phase)
    return x[:k_shot], y[:k_shot], x[k_shot:], y[k_shot:]


torch.manual_seed(1)
model = SineMLP()
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
inner_lr, inner_steps, meta_batch = 0.01, 2, 4

for iteration in range(30):
    meta_opt.zero_grad()
    meta_loss = 0.0
    for _ in range(meta_batch):
        xs, ys, xq, yq = sine_task()
        fast = OrderedDict(model.named_parameters())
        for _ in range(inner_steps):
            support_loss = F.mse_loss(model(xs), ys)
            grads = torch.autograd.grad(support_loss, list(fast.values()), create_graph=True)
            fast = OrderedDict(
                (name, w - inner_lr * g) for (name, w), g in zip(fast.items(), grads)
            )
        meta_loss = meta_loss + F.mse_loss(model(xq, params=fast), yq)
    (meta_loss / meta_batch).backward()
    meta_opt.step()
    if iteration % 10 == 0:
        print(f"iteration {iteration}: meta loss {meta_loss.item() / meta_batch:.3f}")
