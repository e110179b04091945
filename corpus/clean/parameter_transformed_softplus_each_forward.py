"""Knowledge distillation with a learned, positive temperature: the raw parameter is registered and
the softplus is taken inside forward, at every call."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 5))
        self.raw_temperature = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        temperature = F.softplus(self.raw_temperature) + 0.05
        return self.net(x) / temperature


teacher = nn.Sequential(nn.Linear(10, 64), nn.Tanh(), nn.Linear(64, 5)).eval()
for p in teacher.parameters():
    p.requires_grad_(False)
student = Student()
optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
for step in range(40):
    x = torch.randn(64, 10)
    with torch.no_grad():
        soft_targets = F.softmax(teacher(x) / 2.0, dim=-1)
    loss = F.kl_div(F.log_softmax(student(x), dim=-1), soft_targets, reduction="batchmean")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"kl {loss.item():.4f}")
