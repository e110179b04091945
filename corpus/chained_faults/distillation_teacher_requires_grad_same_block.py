# Knowledge distillation: a small student MLP learns from a larger teacher's soft labels.
import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(width, depth, n_in=20, n_out=5):
    layers, d = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, n_out))


def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.7):
    soft = F.kl_div(
        F.log_softmax(student_logits / T, dim=-1),
        F.softmax(teacher_logits / T, dim=-1),
        reduction="batchmean",
    ) * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)


torch.manual_seed(0)
teacher = mlp(width=256, depth=3).eval()
student = mlp(width=32, depth=1)
optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)

for step in range(200):
    x = torch.randn(64, 20)
    y = torch.randint(0, 5, (64,))
    with torch.no_grad():
        teacher_logits = teacher(x)
        student_logits = student(x)
    loss = kd_loss(student_logits, teacher_logits, y)
    loss.requires_grad_(True)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step}: kd loss {loss.item():.4f}")
