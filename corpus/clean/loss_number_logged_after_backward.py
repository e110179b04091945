"""Correct: the loss is turned into numbers only after backward() (a rebinding for the log, a
float for the history, a numpy value for a curve), and the evaluation helper returns .item()."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

x = torch.randn(240, 5)
y = (x[:, :2].sum(dim=1, keepdim=True) > 0).float()
train_x, train_y, val_x, val_y = x[:200], y[:200], x[200:], y[200:]

model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def evaluate(net):
    with torch.no_grad():
        loss = F.binary_cross_entropy_with_logits(net(val_x), val_y)
    return loss.item()


history, curve = [], np.zeros(40)
for step in range(40):
    idx = torch.randint(0, 200, (32,))
    optimizer.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(train_x[idx]), train_y[idx])
    loss.backward()
    optimizer.step()
    curve[step] = loss.detach().cpu().numpy()
    history.append(float(loss))
    loss = loss.item()
    if step % 10 == 0:
        print(f"step {step}: train {loss:.4f}  val {evaluate(model):.4f}")

print("mean train loss:", sum(history) / len(history), "min:", curve.min())
