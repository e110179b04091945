"""DDPG on a toy pendulum-like task, its target networks kept in a dict made by deepcopy and
softly updated by a helper after each learning step."""
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)

STATE, ACTION, TAU, GAMMA = 3, 1, 0.01, 0.99

actor = nn.Sequential(nn.Linear(STATE, 64), nn.ReLU(), nn.Linear(64, ACTION), nn.Tanh())
critic = nn.Sequential(nn.Linear(STATE + ACTION, 64), nn.ReLU(), nn.Linear(64, 1))
targets = {"actor": copy.deepcopy(actor), "critic": copy.deepcopy(critic)}
actor_opt = torch.optim.Adam(actor.parameters(), lr=1e-4)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)


def soft_update(target, source, tau):
    with torch.no_grad():
        for t, s in zip(target.parameters(), source.parameters()):
            t.copy_(tau * s + (1.0 - tau) * t)


def q(net, s, a):
    return net(torch.cat([s, a], dim=1))


for episode in range(100):
    s = torch.randn(64, STATE)
    a = (actor(s) + 0.1 * torch.randn(64, ACTION)).clamp(-1, 1).detach()
    r = -(s[:, :1] ** 2 + 0.1 * a ** 2)
    s2 = s + 0.05 * torch.randn_like(s)
    with torch.no_grad():
        y = r + GAMMA * q(targets["critic"], s2, targets["actor"](s2))
    critic_loss = (q(critic, s, a) - y).pow(2).mean()
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()
    actor_loss = -q(critic, s, actor(s)).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()
    soft_update(targets["critic"], critic, TAU)
    if episode % 25 == 0:
        print(episode, critic_loss.item(), actor_loss.item())
