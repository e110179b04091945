# Look-alike (correct). Source: https://github.com/openai/spinningup/blob/master/spinup/algos/pytorch/ddpg/ddpg.py
# The target actor-critic is a deepcopy with requires_grad=False, the Bellman backup is
# computed under torch.no_grad(), and the Q-network's parameters are frozen while the policy
# loss is backpropagated. All of this looks like "parameters cut off from training", but the
# online actor and critic train and the target copies follow them through the polyak update.
import copy
import itertools

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
np.random.seed(0)


def mlp(sizes, activation, output_activation=nn.Identity):
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


class MLPActor(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden, act_limit):
        super().__init__()
        self.pi = mlp([obs_dim] + list(hidden) + [act_dim], nn.ReLU, nn.Tanh)
        self.act_limit = act_limit

    def forward(self, obs):
        return self.act_limit * self.pi(obs)


class MLPQFunction(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.q = mlp([obs_dim + act_dim] + list(hidden) + [1], nn.ReLU)

    def forward(self, obs, act):
        return torch.squeeze(self.q(torch.cat([obs, act], dim=-1)), -1)


class MLPActorCritic(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden=(32, 32), act_limit=1.0):
        super().__init__()
        self.pi = MLPActor(obs_dim, act_dim, hidden, act_limit)
        self.q = MLPQFunction(obs_dim, act_dim, hidden)


obs_dim, act_dim, gamma, polyak = 4, 2, 0.99, 0.995
ac = MLPActorCritic(obs_dim, act_dim)
ac_targ = copy.deepcopy(ac)
for p in ac_targ.parameters():
    p.requires_grad = False
pi_optimizer = torch.optim.Adam(ac.pi.parameters(), lr=1e-3)
q_optimizer = torch.optim.Adam(ac.q.parameters(), lr=1e-3)


def compute_loss_q(data):
    o, a, r, o2, d = data['obs'], data['act'], data['rew'], data['obs2'], data['done']
    q = ac.q(o, a)
    with torch.no_grad():
        q_pi_targ = ac_targ.q(o2, ac_targ.pi(o2))
        backup = r + gamma * (1 - d) * q_pi_targ
    return ((q - backup) ** 2).mean()


def compute_loss_pi(data):
    o = data['obs']
    return -ac.q(o, ac.pi(o)).mean()


def update(data):
    q_optimizer.zero_grad()
    loss_q = compute_loss_q(data)
    loss_q.backward()
    q_optimizer.step()

    for p in ac.q.parameters():
        p.requires_grad = False
    pi_optimizer.zero_grad()
    loss_pi = compute_loss_pi(data)
    loss_pi.backward()
    pi_optimizer.step()
    for p in ac.q.parameters():
        p.requires_grad = True

    with torch.no_grad():
        for p, p_targ in zip(ac.parameters(), ac_targ.parameters()):
            p_targ.data.mul_(polyak)
            p_targ.data.add_((1 - polyak) * p.data)


for t in range(20):
    batch = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in {
        'obs': np.random.randn(16, obs_dim), 'act': np.random.uniform(-1, 1, (16, act_dim)),
        'rew': np.random.randn(16), 'obs2': np.random.randn(16, obs_dim),
        'done': (np.random.rand(16) < 0.1).astype(np.float32)}.items()}
    update(batch)
