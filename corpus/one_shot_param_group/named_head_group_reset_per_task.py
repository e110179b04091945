# Multi-task fine-tuning with a slower backbone group and a faster head group: for each task the
# script makes a new head and puts its parameters in the head group, held in a variable, as
# model.head.parameters(). The head group's generator is used up by the first zero_grad().
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

backbone = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
heads = nn.ModuleDict({"t0": nn.Linear(32, 3)})
optimizer = torch.optim.SGD(
    [{"params": backbone.parameters(), "lr": 1e-3}, {"params": heads["t0"].parameters(), "lr": 5e-2}],
    momentum=0.9,
)
head_group = optimizer.param_groups[1]

for task in ["t0", "t1", "t2"]:
    if task not in heads:
        heads[task] = nn.Linear(32, 3)
        head_group["params"] = heads[task].parameters()
    x = torch.randn(48, 16)
    y = torch.randint(0, 3, (48,))
    for i in range(0, 48, 12):
        optimizer.zero_grad()
        loss = F.cross_entropy(heads[task](backbone(x[i:i + 12])), y[i:i + 12])
        loss.backward()
        optimizer.step()
    print(task, loss.item())
