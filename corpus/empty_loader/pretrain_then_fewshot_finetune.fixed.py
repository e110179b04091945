"""Pretrain an encoder on a large synthetic pool of shapes, then fine-tune a new head on a few
labelled examples of the target task. Both phases share the batch size and drop_last=True."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
FEATURES, BATCH_SIZE = 16, 64

encoder = nn.Sequential(nn.Linear(FEATURES, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
pretrain_head = nn.Linear(32, 8)

# Phase 1: pretraining on 2,000 samples from 8 source classes.
source_x = torch.randn(2000, FEATURES)
source_y = (source_x[:, :3].sum(1) * 2).long().clamp(-4, 3) + 4
pretrain_set = TensorDataset(source_x, source_y)
pretrain_loader = DataLoader(pretrain_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
pretrain_opt = torch.optim.Adam([*encoder.parameters(), *pretrain_head.parameters()], lr=1e-3)

for epoch in range(2):
    for x, y in pretrain_loader:
        loss = F.cross_entropy(pretrain_head(encoder(x)), y)
        pretrain_opt.zero_grad()
        loss.backward()
        pretrain_opt.step()
    print(f"pretrain epoch {epoch}: loss {loss.item():.3f}")

# Phase 2: few-shot fine-tuning of a new head, 10 examples for each of 4 target classes.
encoder.requires_grad_(False)
target_x = torch.randn(40, FEATURES)
target_y = (target_x[:, 3] > 0).long() * 2 + (target_x[:, 4] > 0).long()
finetune_set = TensorDataset(target_x, target_y)
finetune_loader = DataLoader(finetune_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=len(finetune_set) > BATCH_SIZE)
head = nn.Linear(32, 4)
finetune_opt = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)

for epoch in range(20):
    for x, y in finetune_loader:
        loss = F.cross_entropy(head(encoder(x)), y)
        finetune_opt.zero_grad()
        loss.backward()
        finetune_opt.step()

with torch.no_grad():
    accuracy = (head(encoder(target_x)).argmax(1) == target_y).float().mean().item()
print(f"few-shot accuracy: {accuracy:.2f}")
