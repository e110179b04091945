"""DQN over a shared encoder and a separate Q head, each with a target copy that is synced by a hard
copy every few updates."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

random.seed(0)
torch.manual_seed(0)

OBS, ACTIONS, GAMMA, SYNC_EVERY = 10, 4, 0.95, 2

encoder = nn.Sequential(nn.Linear(OBS, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
q_head = nn.Linear(32, ACTIONS)
target_encoder = nn.Sequential(nn.Linear(OBS, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
target_q_head = nn.Linear(32, ACTIONS)
target_encoder.load_state_dict(encoder.state_dict())
target_q_head.load_state_dict(q_head.state_dict())

optimizer = torch.optim.RMSprop(list(encoder.parameters()) + list(q_head.parameters()), lr=5e-4)
replay = [(torch.randn(OBS), random.randrange(ACTIONS), random.random(), torch.randn(OBS)) for _ in range(512)]

for update in range(500):
    batch = random.sample(replay, 32)
    obs = torch.stack([b[0] for b in batch])
    act = torch.tensor([b[1] for b in batch])
    rew = torch.tensor([b[2] for b in batch])
    nxt = torch.stack([b[3] for b in batch])
    with torch.no_grad():
        best = target_q_head(target_encoder(nxt)).max(dim=1).values
        target = rew + GAMMA * best
    q = q_head(encoder(obs)).gather(1, act.unsqueeze(1)).squeeze(1)
    loss = F.smooth_l1_loss(q, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if update % SYNC_EVERY == 1:
        target_q_head.load_state_dict(q_head.state_dict())
    if update % 100 == 0:
        print(update, loss.item())
