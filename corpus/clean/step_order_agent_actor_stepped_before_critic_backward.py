"""DDPG-style agent whose `learn` applies the actor loss first: the critic's loss is built from
stored actions, so the actor's step changes nothing the critic's backward needs, and the critic's
zero_grad clears what the actor loss left in it."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
OBS, ACT = 4, 2


def mlp(i, o, out=None):
    layers = [nn.Linear(i, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, o)]
    return nn.Sequential(*layers, *([out] if out is not None else []))


class Agent:
    def __init__(self, gamma=0.9, tau=0.02):
        self.actor, self.critic = mlp(OBS, ACT, nn.Tanh()), mlp(OBS + ACT, 1)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=5e-4)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.gamma, self.tau = gamma, tau

    def q(self, net, obs, act):
        return net(torch.cat([obs, act], -1))

    def losses(self, obs, act, rew, next_obs):
        with torch.no_grad():
            target = rew + self.gamma * self.q(self.target_critic, next_obs, self.actor(next_obs))
        critic_loss = F.smooth_l1_loss(self.q(self.critic, obs, act), target)
        actor_loss = -self.q(self.critic, obs, self.actor(obs)).mean()
        return actor_loss, critic_loss

    def learn(self, actor_loss, critic_loss):
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        with torch.no_grad():
            for t, p in zip(self.target_critic.parameters(), self.critic.parameters()):
                t.mul_(1 - self.tau).add_(self.tau * p)


agent = Agent()
for it in range(60):
    obs = torch.randn(64, OBS)
    act = torch.rand(64, ACT) * 2 - 1
    rew = -(obs[:, :ACT] - act).pow(2).sum(-1, keepdim=True)
    actor_loss, critic_loss = agent.losses(obs, act, rew, obs + 0.1 * torch.randn(64, OBS))
    agent.learn(actor_loss, critic_loss)
    if it % 20 == 0:
        print(f"it {it}: actor {actor_loss.item():.3f} critic {critic_loss.item():.3f}")
