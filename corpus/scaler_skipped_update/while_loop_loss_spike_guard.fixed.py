"""Knowledge distillation of a small student from a fixed teacher, step-based with a while loop.
A loss spike (far above its running average) skips the update; it is rare, and the first steps
never hit it."""
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.amp import GradScaler

torch.manual_seed(7)

teacher = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 10)).eval()
student = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 10))
optimizer = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9, nesterov=True)
grad_scaler = GradScaler("cpu", growth_interval=100)
batches = itertools.cycle([torch.randn(64, 20) for _ in range(10)])

step, max_steps, running = 0, 300, None
while step < max_steps:
    x = next(batches)
    with torch.no_grad():
        soft_targets = F.softmax(teacher(x) / 2.0, dim=-1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        student_logits = student(x)
    loss = F.kl_div(F.log_softmax(student_logits.float() / 2.0, dim=-1), soft_targets, reduction="batchmean")
    optimizer.zero_grad()
    grad_scaler.scale(loss).backward()
    grad_scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(student.parameters(), 5.0)
    running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
    if loss.item() > 10 * running:
        step += 1
        grad_scaler.update()
        continue
    grad_scaler.step(optimizer)
    grad_scaler.update()
    step += 1
print(f"final distillation loss {running:.4f}")
