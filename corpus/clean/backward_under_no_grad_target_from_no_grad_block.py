import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
online = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
target_net = copy.deepcopy(online)
optimizer = torch.optim.SGD(online.parameters(), lr=0.05)
targets = []

for step in range(4):
    state, next_state, reward = torch.randn(32, 6), torch.randn(32, 6), torch.randn(32)
    with torch.no_grad():
        next_q = target_net(next_state).max(dim=1).values
        target = reward + 0.9 * next_q
        targets.append(target.mean().item())
    q = online(state)[:, 0]
    loss = F.smooth_l1_loss(q, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f} mean target {targets[-1]:.3f}")
