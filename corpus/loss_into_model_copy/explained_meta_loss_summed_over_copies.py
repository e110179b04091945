"""First-order meta-learning gone wrong: the query losses of every task's adapted copy are
summed into one meta-loss and backpropagated once, after the task loop. The gradients
land on the copies of all the tasks; only the last copy is still at hand, so no single copy's
gradients can stand for the meta-gradient: gradfix explains, and leaves the change to the user."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
policy = nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 2))
meta_opt = torch.optim.Adam(policy.parameters(), lr=1e-3)


def regression_task():
    w = torch.randn(6, 2)
    x = torch.randn(40, 6)
    return (x[:20], x[:20] @ w), (x[20:], x[20:] @ w)


for it in range(10):
    meta_opt.zero_grad()
    meta_loss = 0.0
    for _ in range(3):
        (xs, ys), (xq, yq) = regression_task()
        adapted = copy.deepcopy(policy)
        sgd = torch.optim.SGD(adapted.parameters(), lr=0.05)
        for _ in range(2):
            sgd.zero_grad()
            F.mse_loss(adapted(xs), ys).backward()
            sgd.step()
        meta_loss = meta_loss + F.mse_loss(adapted(xq), yq)
    meta_loss.backward()
    meta_opt.step()
    print(f"iteration {it}: meta loss {meta_loss.item():.3f}")
