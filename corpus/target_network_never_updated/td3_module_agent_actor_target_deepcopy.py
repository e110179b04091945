"""TD3 written as one nn.Module holding the actor, a twin-Q critic and their target copies (made with
copy.deepcopy); the targets follow by a soft update in the delayed policy step."""
import copy

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim, max_action):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(obs_dim, 128), nn.Linear(128, 128), nn.Linear(128, act_dim)
        self.max_action = max_action

    def forward(self, state):
        return self.max_action * torch.tanh(self.l3(F.relu(self.l2(F.relu(self.l1(state))))))


class Critic(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.q1 = nn.Sequential(nn.Linear(obs_dim + act_dim, 128), nn.ReLU(), nn.Linear(128, 1))
        self.q2 = nn.Sequential(nn.Linear(obs_dim + act_dim, 128), nn.ReLU(), nn.Linear(128, 1))

    def forward(self, state, action):
        sa = torch.cat([state, action], 1)
        return self.q1(sa), self.q2(sa)


class TD3(nn.Module):
    def __init__(self, obs_dim=8, act_dim=2, max_action=1.0, tau=0.005, policy_freq=2):
        super().__init__()
        self.actor = Actor(obs_dim, act_dim, max_action)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic = Critic(obs_dim, act_dim)
        self.critic_target = copy.deepcopy(self.critic)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=3e-4)
        self.max_action, self.tau, self.policy_freq = max_action, tau, policy_freq
        self.total_it = 0

    @torch.no_grad()
    def _soft_update(self, target, source):
        for tp, sp in zip(target.parameters(), source.parameters()):
            tp.lerp_(sp, self.tau)

    def train_step(self, state, action, reward, next_state, not_done, discount=0.99):
        self.total_it += 1
        with torch.no_grad():
            noise = (torch.randn_like(action) * 0.2).clamp(-0.5, 0.5)
            next_action = (self.actor_target(next_state) + noise).clamp(-self.max_action, self.max_action)
            tq1, tq2 = self.critic_target(next_state, next_action)
            target_q = reward + not_done * discount * torch.min(tq1, tq2)
        cq1, cq2 = self.critic(state, action)
        critic_loss = F.mse_loss(cq1, target_q) + F.mse_loss(cq2, target_q)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()

        if self.total_it % self.policy_freq == 0:
            actor_loss = -self.critic(state, self.actor(state))[0].mean()
            self.actor_optimizer.zero_grad()
            actor_loss.backward()
            self.actor_optimizer.step()
            self._soft_update(self.critic_target, self.critic)
        return critic_loss.item()


agent = TD3()
for it in range(1, 301):
    state = torch.randn(100, 8)
    action = torch.rand(100, 2) * 2 - 1
    reward = -(action - state[:, :2].clamp(-1, 1)).pow(2).sum(1, keepdim=True)
    next_state = state + 0.1 * torch.randn_like(state)
    loss = agent.train_step(state, action, reward, next_state, torch.ones(100, 1))
    if it % 100 == 0:
        print(it, round(loss, 4))
