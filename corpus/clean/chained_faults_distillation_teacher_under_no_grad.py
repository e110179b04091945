# Knowledge distillation done right: only the teacher runs under no_grad; the student learns.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
teacher = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 3)).eval()
student = nn.Sequential(nn.Linear(16, 24), nn.ReLU(), nn.Linear(24, 3))
optimizer = torch.optim.AdamW(student.parameters(), lr=2e-3)
T = 3.0

for step in range(120):
    x = torch.randn(48, 16)
    y = torch.randint(0, 3, (48,))
    with torch.no_grad():
        soft_targets = F.softmax(teacher(x) / T, dim=-1)
    logits = student(x)
    kd = F.kl_div(F.log_softmax(logits / T, dim=-1), soft_targets, reduction="batchmean") * T * T
    loss = 0.5 * kd + 0.5 * F.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 40 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
