"""TD3-style clipped double-Q critic update on a synthetic batch of transitions."""
import copy

import torch
import torch.nn as nn


def mlp(inp, out, hidden=64):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))


class TwinCritic(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.q1_net = mlp(obs_dim + act_dim, 1)
        self.q2_net = mlp(obs_dim + act_dim, 1)

    def forward(self, obs, act):
        sa = torch.cat([obs, act], dim=-1)
        q1 = self.q1_net(sa)
        q2 = self.q2_net(sa)
        return q1.squeeze(-1), q2.squeeze(-1)


def critic_update(critic, critic_target, optimizer, batch, gamma=0.99):
    obs, act, rew, next_obs, next_act, done = batch
    with torch.no_grad():
        tq1, tq2 = critic_target(next_obs, next_act)
        target = rew + gamma * (1 - done) * torch.min(tq1, tq2)
    q1, q2 = critic(obs, act)
    loss = ((q1 - target) ** 2).mean() + ((q2 - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


torch.manual_seed(0)
obs_dim, act_dim, n = 6, 2, 256
critic = TwinCritic(obs_dim, act_dim)
critic_target = copy.deepcopy(critic)
for p in critic_target.parameters():
    p.requires_grad_(False)
optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
for it in range(40):
    batch = (torch.randn(n, obs_dim), torch.rand(n, act_dim) * 2 - 1, torch.randn(n), torch.randn(n, obs_dim),
             torch.rand(n, act_dim) * 2 - 1, (torch.rand(n) < 0.05).float())
    loss = critic_update(critic, critic_target, optimizer, batch)
    with torch.no_grad():
        for p, tp in zip(critic.parameters(), critic_target.parameters()):
            tp.mul_(0.995).add_(0.005 * p)
    if it % 10 == 0:
        print(f"iter {it}: critic loss {loss:.4f}")
