"""Pre-training then fine-tuning: the backbone and a pretext head train first with one optimizer;
the fine-tuning phase builds a second optimizer over the backbone and a new task head and steps it.
Both phases run, both optimizers step."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

backbone = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
pretext_head = nn.Linear(16, 10)
task_head = nn.Linear(16, 2)
pretrain_opt = torch.optim.Adam([*backbone.parameters(), *pretext_head.parameters()], lr=1e-3)
finetune_opt = torch.optim.SGD([*backbone.parameters(), *task_head.parameters()], lr=1e-2)

data = torch.randn(64, 10)
labels = (data[:, 0] > 0).long()

for epoch in range(3):  # pretext: reconstruct the input
    for i in range(0, 64, 16):
        pretrain_opt.zero_grad()
        loss = F.mse_loss(pretext_head(backbone(data[i:i + 16] + 0.1 * torch.randn(16, 10))), data[i:i + 16])
        loss.backward()
        pretrain_opt.step()

for epoch in range(3):  # the task
    for i in range(0, 64, 16):
        finetune_opt.zero_grad()
        loss = F.cross_entropy(task_head(backbone(data[i:i + 16])), labels[i:i + 16])
        loss.backward()
        finetune_opt.step()
print(f"final loss {loss.item():.3f}")
