"""Mean-teacher semi-supervised classifier (Tarvainen & Valpola) with weight-normalised layers
written as torch.nn.utils.weight_norm: the teacher is a deepcopy of the student."""
import copy

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def build_student():
    return torch.nn.Sequential(
        torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(20, 64)), torch.nn.ReLU(),
        torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(64, 5)),
    )


student = build_student()
teacher = copy.deepcopy(student)
for p in teacher.parameters():
    p.requires_grad_(False)
optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9)

for step in range(100):
    x_l, y_l = torch.randn(16, 20), torch.randint(0, 5, (16,))
    x_u = torch.randn(64, 20)
    consistency = F.mse_loss(F.softmax(student(x_u), 1), F.softmax(teacher(x_u + 0.1 * torch.randn_like(x_u)), 1))
    loss = F.cross_entropy(student(x_l), y_l) + consistency
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for t, s in zip(teacher.parameters(), student.parameters()):
            t.mul_(0.99).add_(s, alpha=0.01)
