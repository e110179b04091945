"""DDPG on a 1-D point-mass task: the agent builds both losses in one method and applies them in
another."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
OBS, ACT = 3, 1


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(OBS, 32), nn.ReLU(), nn.Linear(32, ACT), nn.Tanh())

    def forward(self, obs):
        return self.net(obs)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(OBS + ACT, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, obs, act):
        return self.net(torch.cat([obs, act], dim=-1))


class Agent:
    def __init__(self, gamma=0.95, tau=0.05):
        self.actor, self.critic = Actor(), Critic()
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.gamma, self.tau = gamma, tau

    def compute_losses(self, obs, act, rew, next_obs):
        with torch.no_grad():
            target_q = rew + self.gamma * self.critic_target(next_obs, self.actor_target(next_obs))
        critic_loss = F.mse_loss(self.critic(obs, act), target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        actor_loss = -self.critic(obs, self.actor(obs)).mean()
        return critic_loss, actor_loss

    def learn(self, critic_loss, actor_loss):
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        self.soft_update()

    @torch.no_grad()
    def soft_update(self):
        for target, online in ((self.actor_target, self.actor), (self.critic_target, self.critic)):
            for t, p in zip(target.parameters(), online.parameters()):
                t.lerp_(p, self.tau)


def env_step(obs, act):
    next_obs = obs.clone()
    next_obs[:, 0] = obs[:, 0] + 0.1 * act[:, 0]
    return next_obs, -next_obs[:, :1].abs()


agent = Agent()
for episode in range(40):
    obs = torch.randn(64, OBS)
    act = (agent.actor(obs) + 0.1 * torch.randn(64, ACT)).clamp(-1, 1).detach()
    next_obs, rew = env_step(obs, act)
    critic_loss, actor_loss = agent.compute_losses(obs, act, rew, next_obs)
    agent.learn(critic_loss, actor_loss)
    if episode % 10 == 0:
        print(f"episode {episode}: critic {critic_loss.item():.4f} actor {actor_loss.item():.4f}")
