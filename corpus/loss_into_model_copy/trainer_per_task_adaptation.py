"""Meta-learning a shared initialisation for per-customer demand models: a Trainer adapts a copy
of the shared model to each customer's recent weeks, scores the adapted copy on the following
weeks, and that score should move the shared model."""
import copy

import torch
from torch import nn, optim


class DemandModel(nn.Module):
    def __init__(self, n_features=8, hidden=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)


def customer_task(n_features=8, weeks=24):
    weights = torch.randn(n_features)
    x = torch.randn(weeks, n_features)
    y = x @ weights + 0.1 * torch.randn(weeks)
    return (x[:12], y[:12]), (x[12:], y[12:])


class Trainer:
    def __init__(self, model, inner_steps=4, inner_lr=0.02, meta_lr=1e-3):
        self.model = model
        self.inner_steps = inner_steps
        self.inner_lr = inner_lr
        self.meta_optimizer = optim.Adam(self.model.parameters(), lr=meta_lr)
        self.loss_fn = nn.SmoothL1Loss()

    def adapt(self, support):
        x, y = support
        learner = copy.deepcopy(self.model)
        opt = optim.Adam(learner.parameters(), lr=self.inner_lr)
        for _ in range(self.inner_steps):
            opt.zero_grad()
            self.loss_fn(learner(x), y).backward()
            opt.step()
        return learner

    def outer_step(self, tasks):
        self.meta_optimizer.zero_grad()
        total = 0.0
        for support, (xq, yq) in tasks:
            learner = self.adapt(support)
            query_loss = self.loss_fn(learner(xq), yq) / len(tasks)
            query_loss.backward()
            total += query_loss.item()
        self.meta_optimizer.step()
        return total


torch.manual_seed(7)
trainer = Trainer(DemandModel())
for round_ in range(20):
    loss = trainer.outer_step([customer_task() for _ in range(3)])
    if round_ % 5 == 0:
        print(f"round {round_}: adapted query loss {loss:.4f}")
