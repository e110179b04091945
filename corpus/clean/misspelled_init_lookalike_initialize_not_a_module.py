"""Helpers with init-like method names that are not module constructors: a running-statistics
tracker that resets itself through its own `_init_` and a schedule with `initialize`."""
import torch
import torch.nn as nn


class RunningMean:
    def __init__(self):
        self._init_()

    def _init_(self):
        self.total = 0.0
        self.count = 0

    def update(self, value):
        self.total += value
        self.count += 1

    def reset(self):
        value = self.total / max(self.count, 1)
        self._init_()
        return value


class WarmupSchedule:
    def initialize(self, optimizer, base_lr, warmup=3):
        self.optimizer, self.base_lr, self.warmup = optimizer, base_lr, warmup

    def step(self, it):
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * min(1.0, (it + 1) / self.warmup)


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
schedule = WarmupSchedule()
schedule.initialize(optimizer, base_lr=0.05)
meter = RunningMean()
x, y = torch.randn(40, 6), torch.randn(40, 1)
for it in range(5):
    schedule.step(it)
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    meter.update(loss.item())
print("mean loss", meter.reset())
