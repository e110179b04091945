# Self-distillation with a running center (DINO style): the teacher's outputs are centered by an
# exponential moving average of their mean, which is updated every step.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

student = nn.Sequential(nn.Linear(24, 48), nn.GELU(), nn.Linear(48, 10))
teacher = nn.Sequential(nn.Linear(24, 48), nn.GELU(), nn.Linear(48, 10))
teacher.load_state_dict(student.state_dict())
for p in teacher.parameters():
    p.requires_grad = False

optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9)
center = torch.zeros(10)
momentum = 0.9

for it in range(10):
    views = torch.randn(32, 24)
    noisy = views + 0.1 * torch.randn_like(views)
    s_out = student(noisy)
    t_out = teacher(views)
    center = momentum * center + (1 - momentum) * s_out.mean(dim=0)
    t_probs = F.softmax((t_out - center) / 0.04, dim=-1)
    loss = torch.sum(-t_probs * F.log_softmax(s_out / 0.1, dim=-1), dim=-1).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for ps, pt in zip(student.parameters(), teacher.parameters()):
            pt.mul_(0.99).add_(0.01 * ps)
    print(it, round(loss.item(), 4))
