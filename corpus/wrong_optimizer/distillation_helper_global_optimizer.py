# Knowledge distillation: a teacher is trained first, then a smaller student, with one helper.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(192, 12)
y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 0.5).long()


def run_epoch(net, opt, loss_of):
    for i in range(0, 192, 48):
        xb, yb = x[i:i + 48], y[i:i + 48]
        loss = loss_of(net(xb), xb, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


teacher = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
optimizer = torch.optim.Adam(teacher.parameters(), lr=2e-3)
for epoch in range(4):
    print("teacher", epoch, run_epoch(teacher, optimizer, lambda out, xb, yb: F.cross_entropy(out, yb)))

teacher.eval()


def distill_loss(out, xb, yb, T=2.0):
    with torch.no_grad():
        soft = F.softmax(teacher(xb) / T, dim=1)
    return 0.5 * F.cross_entropy(out, yb) + 0.5 * T * T * F.kl_div(F.log_softmax(out / T, dim=1), soft, reduction="batchmean")


student = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))
student_opt = torch.optim.Adam(student.parameters(), lr=5e-3)
for epoch in range(4):
    print("student", epoch, run_epoch(student, student_opt, distill_loss))
