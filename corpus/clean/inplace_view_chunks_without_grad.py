"""Correct look-alike: in-place ops on chunk()/split()/unbind() outputs of tensors that need no
gradient. Augmentation writes into chunks of the input batch, the distillation targets are split
from a detached teacher output and clamped in place, and an EMA copy of the model is updated in
place under torch.no_grad()."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def augment(batch):
    clean, noisy = batch.chunk(2, dim=0)
    noisy.add_(0.1 * torch.randn_like(noisy))
    for row in noisy.unbind(0):
        row.clamp_(-3.0, 3.0)
    return batch


torch.manual_seed(2)
teacher = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
student = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
ema = copy.deepcopy(student).requires_grad_(False)
opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9)
for step in range(15):
    x = augment(torch.randn(64, 8))
    target = teacher(x).detach()
    target_mean, target_scale = target.split(2, dim=-1)
    target_scale.clamp_(min=0.0)
    pred_mean, pred_scale = student(x).split(2, dim=-1)
    loss = F.mse_loss(pred_mean, target_mean) + F.mse_loss(F.softplus(pred_scale), target_scale)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        for e, s in zip(ema.parameters(), student.parameters()):
            e.mul_(0.9).add_(0.1 * s)
        halves = ema[0].weight.chunk(2, dim=0)
        halves[0].clamp_(-1.0, 1.0)
print(loss.item())
