"""Early stopping with a deep copy of the best model: stage two restarts from that copy with an
optimizer built for it, the final check reloads the best weights into the model in place, and
the last evaluation runs on the copy itself."""
import copy

import torch
import torch.nn as nn


def batches(x, y, size=32):
    for start in range(0, len(y), size):
        yield x[start:start + size], y[start:start + size]


def train_epoch(model, optimizer, x, y):
    model.train()
    for xb, yb in batches(x, y):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    return nn.functional.mse_loss(model(x), y).item()


torch.manual_seed(3)
x = torch.randn(192, 6)
y = (x ** 2).sum(dim=1, keepdim=True)
val_x, val_y = x[:48], y[:48]

model = nn.Sequential(nn.Linear(6, 24), nn.Tanh(), nn.Linear(24, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
best, best_model = float("inf"), copy.deepcopy(model)
for epoch in range(4):
    train_epoch(model, optimizer, x, y)
    score = evaluate(model, val_x, val_y)
    if score < best:
        best, best_model = score, copy.deepcopy(model)

# stage two: from the best copy, with an optimizer of its own
model = copy.deepcopy(best_model)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(4):
    print("stage 2:", train_epoch(model, optimizer, x, y))
    score = evaluate(model, val_x, val_y)
    if score < best:
        best, best_model = score, copy.deepcopy(model)

# the weights of the best copy loaded in place: the same parameters, the same optimizer
model.load_state_dict(best_model.state_dict())
print("one more epoch:", train_epoch(model, optimizer, x, y))
model = best_model
print("best:", evaluate(model, val_x, val_y))
