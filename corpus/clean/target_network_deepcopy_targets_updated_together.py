"""DDPG agent whose target actor and critic are made by copy.deepcopy and both moved by one soft
update helper after every learning step: each target follows its own network."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Agent:
    def __init__(self, tau=0.005, gamma=0.99):
        self.actor = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1), nn.Tanh())
        self.critic = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
        self.actor_target = copy.deepcopy(self.actor)
        self.critic_target = copy.deepcopy(self.critic)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-4)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.tau, self.gamma = tau, gamma

    def soft_update(self, target, source):
        with torch.no_grad():
            for t, s in zip(target.parameters(), source.parameters()):
                t.mul_(1 - self.tau).add_(self.tau * s)

    def learn(self, s, a, r, s2):
        with torch.no_grad():
            y = r + self.gamma * self.critic_target(torch.cat([s2, self.actor_target(s2)], 1))
        critic_loss = F.mse_loss(self.critic(torch.cat([s, a], 1)), y)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        actor_loss = -self.critic(torch.cat([s, self.actor(s)], 1)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        self.soft_update(self.critic_target, self.critic)
        self.soft_update(self.actor_target, self.actor)


torch.manual_seed(0)
agent = Agent()
for step in range(200):
    s, a = torch.randn(32, 4), torch.rand(32, 1) * 2 - 1
    r, s2 = -(a - s[:, :1].tanh()).pow(2), s + 0.1 * torch.randn(32, 4)
    agent.learn(s, a, r, s2)
