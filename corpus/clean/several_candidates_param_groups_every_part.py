# Backbone, neck and head each in a param group of its own, with a multi-step decay by 10x.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import MultiStepLR

torch.manual_seed(0)
backbone = nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4), nn.Flatten())
neck = nn.Sequential(nn.Linear(32, 16), nn.ReLU())
head = nn.Linear(16, 3)
param_groups = [
    {"params": backbone.parameters(), "lr": 1e-3},
    {"params": neck.parameters()},
    {"params": head.parameters(), "lr": 1e-2},
]
optimizer = torch.optim.Adam(param_groups, lr=5e-3)
scheduler = MultiStepLR(optimizer, milestones=[2, 4], gamma=0.1)

signals = torch.randn(120, 2, 40)
labels = torch.randint(0, 3, (120,))
for epoch in range(6):
    for xb, yb in zip(signals.split(24), labels.split(24)):
        optimizer.zero_grad()
        loss = F.cross_entropy(head(neck(backbone(xb))), yb)
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
