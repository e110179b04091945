"""MAML on the sinusoid regression benchmark of Finn et al. (2017), written with torch.func.

Each task is a sine wave with its own amplitude and phase; the learner sees K points of it and
must regress the whole curve after a few gradient steps. The meta-optimizer is plain SGD with
momentum, as in the team's other meta-learning baselines.
"""
import math

import torch
import torch.nn as nn
from torch.func import functional_call, grad

K = 10
INNER_LR = 0.01
INNER_STEPS = 1
META_LR = 0.05
META_BATCH = 8
META_STEPS = 60


def sine_task():
    amplitude = torch.empty(1).uniform_(0.1, 5.0)
    phase = torch.empty(1).uniform_(0.0, math.pi)

    def draw(n):
        x = torch.empty(n, 1).uniform_(-5.0, 5.0)
        return x, amplitude * torch.sin(x - phase)

    return draw


class Regressor(nn.Module):
    def __init__(self, hidden=40):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x)


def mse(model, params, x, y):
    return ((functional_call(model, params, (x,)) - y) ** 2).mean()


def adapt(model, params, x, y, steps=INNER_STEPS):
    for _ in range(steps):
        grads = grad(lambda p: mse(model, p, x, y))(params)
        params = {name: w - INNER_LR * grads[name] for name, w in params.items()}
    return params


def main():
    torch.manual_seed(0)
    model = Regressor()
    meta_opt = torch.optim.SGD(model.parameters(), lr=META_LR, momentum=0.9)
    model.train()
    for step in range(1, META_STEPS + 1):
        params = dict(model.named_parameters())
        meta_loss = 0.0
        for _ in range(META_BATCH):
            draw = sine_task()
            x_support, y_support = draw(K)
            x_query, y_query = draw(K)
            fast = adapt(model, params, x_support, y_support)
            meta_loss = meta_loss + mse(model, fast, x_query, y_query) / META_BATCH
        meta_opt.zero_grad()
        meta_loss.backward()
        meta_opt.step()
        if step % 20 == 0:
            print(f"meta-step {step}: post-update query MSE {meta_loss.item():.3f}")


if __name__ == "__main__":
    main()
