"""BYOL-style self-supervision: the target network runs under no_grad to make regression targets
and is updated as an exponential moving average of the online network, never by the optimizer.
Its output feeds the loss only as a constant; that is the design."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o))


online = nn.Sequential(mlp(20, 64, 32), mlp(32, 64, 16))
predictor = mlp(16, 32, 16)
target = copy.deepcopy(online)
for p in target.parameters():
    p.requires_grad_(False)

optimizer = torch.optim.SGD(list(online.parameters()) + list(predictor.parameters()), lr=0.05, momentum=0.9)
torch.manual_seed(0)
data = torch.randn(128, 20)


def augment(x):
    return x + 0.1 * torch.randn_like(x)


for step in range(8):
    batch = data[torch.randint(0, 128, (32,))]
    v1, v2 = augment(batch), augment(batch)
    p1 = predictor(online(v1))
    with torch.no_grad():
        z2 = target(v2)
    loss = 2 - 2 * F.cosine_similarity(p1, z2, dim=-1).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for po, pt in zip(online.parameters(), target.parameters()):
            pt.mul_(0.99).add_(po, alpha=0.01)
    print(step, loss.item())
