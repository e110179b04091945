"""First-order MAML on sinusoid regression: each task adapts a deep copy of the network with a
few hand-written SGD steps on its support points, and the query loss of the adapted copy is
meant to train the shared initialisation."""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sample_sine(n_support=10, n_query=15):
    amplitude = torch.empty(1).uniform_(0.1, 5.0)
    phase = torch.empty(1).uniform_(0.0, math.pi)
    x = torch.empty(n_support + n_query, 1).uniform_(-5.0, 5.0)
    y = amplitude * torch.sin(x - phase)
    return (x[:n_support], y[:n_support]), (x[n_support:], y[n_support:])


torch.manual_seed(3)
net = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))
meta_opt = torch.optim.Adam(net.parameters(), lr=1e-3)
inner_lr = 0.01

for it in range(25):
    meta_opt.zero_grad()
    (xs, ys), (xq, yq) = sample_sine()
    fast = copy.deepcopy(net)
    for _ in range(3):
        fast.zero_grad()
        F.mse_loss(fast(xs), ys).backward()
        with torch.no_grad():
            for p in fast.parameters():
                p -= inner_lr * p.grad
    query_loss = F.mse_loss(fast(xq), yq)
    query_loss.backward()
    meta_opt.step()
    if it % 5 == 0:
        print(f"iteration {it}: query mse {query_loss.item():.3f}")
