"""DQN for a factored action space: a shared trunk and two Q heads (where to move, whether to fire),
each with a target copy made by deepcopy and synced by a hard copy every few updates."""
import random
from copy import deepcopy

import torch
import torch.nn as nn
import torch.nn.functional as F

random.seed(0)
torch.manual_seed(0)

OBS, MOVES, GAMMA, SYNC_EVERY = 12, 5, 0.97, 2

trunk = nn.Sequential(nn.Linear(OBS, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
head_move = nn.Linear(64, MOVES)
head_fire = nn.Linear(64, 2)
target_trunk = deepcopy(trunk)
target_head_move = deepcopy(head_move)
target_head_fire = deepcopy(head_fire)

params = [*trunk.parameters(), *head_move.parameters(), *head_fire.parameters()]
optimizer = torch.optim.Adam(params, lr=3e-4)


def sync_targets():
    target_trunk.load_state_dict(trunk.state_dict())
    target_head_move.load_state_dict(head_move.state_dict())


def sample(n=32):
    obs = torch.randn(n, OBS)
    move = torch.randint(0, MOVES, (n,))
    fire = torch.randint(0, 2, (n,))
    reward = torch.randn(n)
    return obs, move, fire, reward, torch.randn(n, OBS)


for update in range(400):
    obs, move, fire, reward, nxt = sample()
    with torch.no_grad():
        h = target_trunk(nxt)
        best = target_head_move(h).max(1).values + target_head_fire(h).max(1).values
        y = reward + GAMMA * best
    h = trunk(obs)
    q = head_move(h).gather(1, move[:, None]).squeeze(1) + head_fire(h).gather(1, fire[:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if update % SYNC_EVERY == 1:
        sync_targets()
    if update % 100 == 0:
        print(f"update {update}: loss {loss.item():.4f}")
