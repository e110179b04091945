# Pattern: https://arxiv.org/abs/1803.02999
# Look-alike (correct): Reptile adapts a deepcopy of the model with its own SGD and never
# backpropagates through the inner loop. The meta-gradient is written by hand as
# (meta weights - adapted weights) into p.grad, then the meta-optimizer steps: no autograd path is
# needed, and the meta-model trains.
import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = {"inner_steps": 5, "inner_lr": 0.02, "meta_lr": 0.1, "meta_iters": 40, "k_shot": 10}


def sample_sine_task():
    amplitude, phase = np.random.uniform(0.1, 5.0), np.random.uniform(0, np.pi)

    def sample(n):
        x = torch.empty(n, 1).uniform_(-5, 5)
        return x.to(device), (amplitude * torch.sin(x + phase)).to(device)
    return sample


class Regressor(nn.Module):
    def __init__(self, hidden=40):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


def adapt(model, task):
    learner = copy.deepcopy(model)
    inner_opt = torch.optim.SGD(learner.parameters(), lr=cfg["inner_lr"])
    for _ in range(cfg["inner_steps"]):
        x, y = task(cfg["k_shot"])
        loss = F.mse_loss(learner(x), y)
        inner_opt.zero_grad()
        loss.backward()
        inner_opt.step()
    return learner


model = Regressor().to(device)
meta_optimizer = torch.optim.SGD(model.parameters(), lr=cfg["meta_lr"])

for it in range(cfg["meta_iters"]):
    task = sample_sine_task()
    learner = adapt(model, task)
    meta_optimizer.zero_grad()
    with torch.no_grad():
        for p, q in zip(model.parameters(), learner.parameters()):
            p.grad = p - q
    meta_optimizer.step()
    if it % 10 == 0:
        x, y = task(50)
        print(f"meta-iter {it}: post-adaptation loss {F.mse_loss(learner(x), y).item():.3f}")
