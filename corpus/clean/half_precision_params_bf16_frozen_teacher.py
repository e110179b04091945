"""Distillation: the large teacher is cast to bfloat16 and frozen (it only runs under no_grad);
the float32 student trains."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
teacher = nn.Sequential(nn.Linear(20, 128), nn.LayerNorm(128), nn.ReLU(), nn.Linear(128, 10)).to(torch.bfloat16).eval()
teacher.requires_grad_(False)
student = nn.Sequential(nn.Linear(20, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
for step in range(25):
    x = torch.randn(64, 20)
    with torch.no_grad():
        target = F.softmax(teacher(x.to(torch.bfloat16)).float() / 2.0, dim=-1)
    loss = F.kl_div(F.log_softmax(student(x) / 2.0, dim=-1), target, reduction="batchmean")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"distillation loss {loss.item():.4f}")
