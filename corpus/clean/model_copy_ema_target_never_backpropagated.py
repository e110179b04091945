"""A mean-teacher / EMA target: a deep copy of the student that only ever receives the student's
weights by an exponential moving average and is run under no_grad for the consistency targets.
No loss is ever backpropagated into the copy, and none is meant to be."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
student = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 5))
teacher = copy.deepcopy(student)
for p in teacher.parameters():
    p.requires_grad_(False)
opt = torch.optim.AdamW(student.parameters(), lr=1e-3)

for step in range(30):
    x = torch.randn(32, 10)
    y = torch.randint(0, 5, (32,))
    noisy = x + 0.1 * torch.randn_like(x)
    with torch.no_grad():
        target = F.softmax(teacher(noisy), dim=-1)
    logits = student(x)
    loss = F.cross_entropy(logits, y) + F.mse_loss(F.softmax(logits, dim=-1), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        for t, s in zip(teacher.parameters(), student.parameters()):
            t.mul_(0.99).add_(s, alpha=0.01)
