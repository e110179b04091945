"""Two-stage training with early stopping: the best model of stage one is kept as a deep copy,
and stage two restarts from it at a tenth of the learning rate, with the optimizer of stage one."""
import copy

import torch
import torch.nn as nn
import torch.optim as optim


def make_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=g)
    y = (x[:, :5].sum(dim=1) > 0).long()
    return x, y


def train_one_epoch(model, optimizer, x, y):
    model.train()
    for start in range(0, len(y), 32):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[start:start + 32]), y[start:start + 32])
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def validation_loss(model, x, y):
    model.eval()
    return nn.functional.cross_entropy(model(x), y).item()


torch.manual_seed(0)
train_x, train_y = make_data(256, 1)
val_x, val_y = make_data(64, 2)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

best_loss, best_model = float("inf"), copy.deepcopy(model)
for epoch in range(5):
    train_one_epoch(model, optimizer, train_x, train_y)
    val = validation_loss(model, val_x, val_y)
    if val < best_loss:
        best_loss, best_model = val, copy.deepcopy(model)
    print(f"stage 1, epoch {epoch}: val {val:.4f}")

model = copy.deepcopy(best_model)
for group in optimizer.param_groups:
    group["lr"] *= 0.1
for epoch in range(5):
    loss = train_one_epoch(model, optimizer, train_x, train_y)
    print(f"stage 2, epoch {epoch}: train {loss:.4f}, val {validation_loss(model, val_x, val_y):.4f}")
