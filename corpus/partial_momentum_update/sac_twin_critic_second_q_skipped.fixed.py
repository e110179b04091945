"""Soft actor-critic on a toy continuous bandit: twin Q critics with a Polyak-averaged target."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class TwinCritic(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden=64):
        super().__init__()
        self.q1 = nn.Sequential(nn.Linear(obs_dim + act_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.q2 = nn.Sequential(nn.Linear(obs_dim + act_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, obs, act):
        x = torch.cat([obs, act], dim=-1)
        return self.q1(x), self.q2(x)


class GaussianActor(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, act_dim)
        self.log_std = nn.Linear(hidden, act_dim)

    def forward(self, obs):
        h = self.body(obs)
        std = self.log_std(h).clamp(-5, 2).exp()
        raw = self.mu(h) + std * torch.randn_like(std)
        logp = (-0.5 * ((raw - self.mu(h)) / std) ** 2 - std.log()).sum(-1) - (2 * (0.6931 - raw - F.softplus(-2 * raw))).sum(-1)
        return torch.tanh(raw), logp


obs_dim, act_dim, gamma, polyak, alpha = 5, 2, 0.99, 0.995, 0.2
torch.manual_seed(0)
actor = GaussianActor(obs_dim, act_dim)
critic = TwinCritic(obs_dim, act_dim)
critic_targ = copy.deepcopy(critic)
for p in critic_targ.parameters():
    p.requires_grad = False
pi_opt = optim.Adam(actor.parameters(), lr=1e-3)
q_opt = optim.Adam(critic.parameters(), lr=1e-3)

for it in range(150):
    o, o2 = torch.randn(64, obs_dim), torch.randn(64, obs_dim)
    a = torch.rand(64, act_dim) * 2 - 1
    r = -((a - o[:, :act_dim].tanh()) ** 2).sum(-1)
    d = torch.zeros(64)

    q1, q2 = critic(o, a)
    with torch.no_grad():
        a2, logp2 = actor(o2)
        t1, t2 = critic_targ(o2, a2)
        backup = r + gamma * (1 - d) * (torch.min(t1, t2).squeeze(-1) - alpha * logp2)
    loss_q = F.mse_loss(q1.squeeze(-1), backup) + F.mse_loss(q2.squeeze(-1), backup)
    q_opt.zero_grad()
    loss_q.backward()
    q_opt.step()

    pi, logp = actor(o)
    loss_pi = (alpha * logp - torch.min(*critic(o, pi)).squeeze(-1)).mean()
    pi_opt.zero_grad()
    loss_pi.backward()
    pi_opt.step()

    with torch.no_grad():
        for (name, p_targ), (_, p) in zip(
            list(critic_targ.q1.named_parameters()) + list(critic_targ.q2.named_parameters()),
            list(critic.q1.named_parameters()) + list(critic.q2.named_parameters()),
        ):
            p_targ.data.mul_(polyak)
            p_targ.data.add_((1 - polyak) * p.data)
    if it % 50 == 0:
        print(it, loss_q.item(), loss_pi.item())
