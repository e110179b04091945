"""An EMA teacher whose backbone and head follow the student at different rates: two update
loops, one per part, so every part of the copy follows."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(10, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU())
        self.head = nn.Linear(48, 3)

    def forward(self, x):
        return self.head(self.backbone(x))


@torch.no_grad()
def ema_update(teacher, student, backbone_decay=0.999, head_decay=0.99):
    for t, s in zip(teacher.backbone.parameters(), student.backbone.parameters()):
        t.mul_(backbone_decay).add_(s, alpha=1 - backbone_decay)
    for t, s in zip(teacher.head.parameters(), student.head.parameters()):
        t.mul_(head_decay).add_(s, alpha=1 - head_decay)


torch.manual_seed(0)
student = Net()
teacher = copy.deepcopy(student)
teacher.requires_grad_(False)
optimizer = torch.optim.AdamW(student.parameters(), lr=2e-3)
x_all = torch.randn(600, 10)
y_all = (x_all[:, :3].argmax(1))
for epoch in range(3):
    for i in range(0, 600, 50):
        x, y = x_all[i:i + 50], y_all[i:i + 50]
        logits = student(x + 0.05 * torch.randn_like(x))
        with torch.no_grad():
            soft = F.softmax(teacher(x), dim=1)
        loss = F.cross_entropy(logits, y) + F.kl_div(F.log_softmax(logits, 1), soft, reduction="batchmean")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema_update(teacher, student)
    print(epoch, loss.item())
