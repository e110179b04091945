import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

student = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 10))
teacher = copy.deepcopy(student)
# misspelt, and harmless: the teacher runs under no_grad and no optimizer holds it, it only
# follows the student as an exponential moving average
for p in teacher.parameters():
    p.require_grad = False

optimizer = torch.optim.SGD(student.parameters(), lr=0.05)
x = torch.randn(64, 10)
for step in range(6):
    noisy = x + 0.1 * torch.randn_like(x)
    with torch.no_grad():
        target = F.softmax(teacher(x), dim=1)
    loss = F.kl_div(F.log_softmax(student(noisy), dim=1), target, reduction="batchmean")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for t, s in zip(teacher.parameters(), student.parameters()):
            t.mul_(0.9).add_(s, alpha=0.1)
    print(f"step {step}: loss {loss.item():.4f}")
