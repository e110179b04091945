import copy
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

GAMMA, TAU, BATCH = 0.98, 0.05, 32


class DuelingQ(nn.Module):
    def __init__(self, obs_dim=6, n_actions=3):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(obs_dim, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.value = nn.Linear(64, 1)
        self.advantage = nn.Linear(64, n_actions)

    def forward(self, obs):
        h = self.features(obs)
        adv = self.advantage(h)
        return self.value(h) + adv - adv.mean(dim=1, keepdim=True)


def soft_update():
    for t_param, param in zip(
        list(target_net.features.parameters()) + list(target_net.advantage.parameters()) + list(target_net.value.parameters()),
        list(q_net.features.parameters()) + list(q_net.advantage.parameters()) + list(q_net.value.parameters()),
    ):
        t_param.data.copy_(TAU * param.data + (1.0 - TAU) * t_param.data)


def sample_batch(buffer):
    batch = random.sample(buffer, BATCH)
    obs, act, rew, nxt, done = zip(*batch)
    return torch.stack(obs), torch.tensor(act), torch.tensor(rew), torch.stack(nxt), torch.tensor(done, dtype=torch.float32)


random.seed(0)
torch.manual_seed(0)
q_net = DuelingQ()
target_net = copy.deepcopy(q_net)
optim = torch.optim.Adam(q_net.parameters(), lr=5e-4)
replay = [(torch.randn(6), random.randrange(3), random.random(), torch.randn(6), random.random() < 0.1) for _ in range(500)]

for step in range(200):
    obs, act, rew, nxt, done = sample_batch(replay)
    q = q_net(obs).gather(1, act.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        best = q_net(nxt).argmax(dim=1, keepdim=True)
        target = rew + GAMMA * (1 - done) * target_net(nxt).gather(1, best).squeeze(1)
    loss = F.smooth_l1_loss(q, target)
    optim.zero_grad()
    loss.backward()
    optim.step()
    soft_update()
    if step % 50 == 0:
        print(step, loss.item())
