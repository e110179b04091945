# Early stopping keeps a snapshot of the best model and of its optimizer, each deep-copied on its
# own; training then goes on from the snapshot, whose optimizer steps copies of the weights.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)


class Snapshot:
    def __init__(self):
        self.best = float("inf")
        self.model = None
        self.optimizer = None

    def update(self, loss, model, optimizer):
        if loss < self.best:
            self.best = loss
            self.model = copy.deepcopy(model)
            self.optimizer = copy.deepcopy(optimizer)


def run_epoch(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


x, y = torch.randn(40, 3), torch.randn(40, 1)
model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
snapshot = Snapshot()
for epoch in range(5):
    snapshot.update(run_epoch(model, optimizer, x, y), model, optimizer)

# fine-tune from the best snapshot
model, optimizer = snapshot.model, snapshot.optimizer
for epoch in range(5):
    print("fine-tune", epoch, run_epoch(model, optimizer, x, y))
