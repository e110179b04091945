"""DDPG-style agent: the critic's target follows by Polyak averaging every step, while the
actor's target is re-made from the actor once per epoch (a hard update the shortened run may
not reach)."""
import copy

import torch
from torch import nn


class Agent:
    def __init__(self):
        self.actor = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
        self.critic = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        self.target_actor = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
        self.target_actor.load_state_dict(self.actor.state_dict())
        self.target_critic = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        self.target_critic.load_state_dict(self.critic.state_dict())
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)

    def learn(self, s, a, r, s2):
        with torch.no_grad():
            q_next = self.target_critic(torch.cat([s2, self.target_actor(s2)], 1))
        critic_loss = (self.critic(torch.cat([s, a], 1)) - (r + 0.99 * q_next)).pow(2).mean()
        self.critic_opt.zero_grad(); critic_loss.backward(); self.critic_opt.step()
        actor_loss = -self.critic(torch.cat([s, self.actor(s)], 1)).mean()
        self.actor_opt.zero_grad(); actor_loss.backward(); self.actor_opt.step()
        with torch.no_grad():
            for t, p in zip(self.target_critic.parameters(), self.critic.parameters()):
                t.mul_(0.995).add_(0.005 * p)

    def end_epoch(self):
        self.target_actor = copy.deepcopy(self.actor)


torch.manual_seed(0)
agent = Agent()
for epoch in range(3):
    for step in range(50):
        s, a, r, s2 = torch.randn(16, 3), torch.randn(16, 1), torch.randn(16, 1), torch.randn(16, 3)
        agent.learn(s, a, r, s2)
    agent.end_epoch()
