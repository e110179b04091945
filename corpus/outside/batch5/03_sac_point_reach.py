"""SAC on a tiny 2-D point-reaching task (environment simulated in torch)."""
import math

import torch
from torch import nn
import torch.nn.functional as F


def build_mlp(in_dim, out_dim, hidden=(64, 64)):
    layers, d = [], in_dim
    for h in hidden:
        layers += [nn.Linear(d, h), nn.Tanh()]
        d = h
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


def reparameterize(means, log_stds):
    stds = log_stds.exp()
    noises = torch.randn_like(means)
    us = means + noises * stds
    actions = torch.tanh(us)
    log_pis = (-0.5 * noises.pow(2) - log_stds - 0.5 * math.log(2 * math.pi)).sum(-1, keepdim=True)
    log_pis -= torch.log(1 - actions.pow(2) + 1e-6).sum(-1, keepdim=True)
    return actions, log_pis


class StateDependentPolicy(nn.Module):
    def __init__(self, state_dim, action_dim):
        super().__init__()
        self.net = build_mlp(state_dim, 2 * action_dim)

    def forward(self, states):
        return torch.tanh(self.net(states).chunk(2, dim=-1)[0])

    def sample(self, states):
        means, log_stds = self.net(states).chunk(2, dim=-1)
        return reparameterize(means, log_stds.clamp_(-20, 2))


class TwinnedQ(nn.Module):
    def __init__(self, state_dim, action_dim):
        super().__init__()
        self.q1 = build_mlp(state_dim + action_dim, 1)
        self.q2 = build_mlp(state_dim + action_dim, 1)

    def forward(self, s, a):
        x = torch.cat([s, a], dim=-1)
        return self.q1(x), self.q2(x)


class PointEnv:
    def __init__(self, batch):
        self.batch = batch

    def reset(self):
        self.pos = torch.rand(self.batch, 2) * 2 - 1
        self.goal = torch.rand(self.batch, 2) * 2 - 1
        return torch.cat([self.pos, self.goal], -1)

    def step(self, a):
        self.pos = (self.pos + 0.1 * a).clamp(-1, 1)
        reward = -(self.pos - self.goal).norm(dim=-1, keepdim=True)
        return torch.cat([self.pos, self.goal], -1), reward


class SAC:
    def __init__(self, state_dim, action_dim, gamma=0.99, tau=0.01, lr=3e-4, alpha=0.2):
        self.actor = StateDependentPolicy(state_dim, action_dim)
        self.critic = TwinnedQ(state_dim, action_dim)
        self.critic_target = TwinnedQ(state_dim, action_dim)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_target.requires_grad_(False)
        self.optim_actor = torch.optim.Adam(self.actor.parameters(), lr=lr)
        self.optim_critic = torch.optim.Adam(self.critic.parameters(), lr=lr)
        self.gamma, self.tau, self.alpha = gamma, tau, alpha

    def explore(self, s):
        with torch.no_grad():
            a, _ = self.actor.sample(s)
        return a

    def update(self, s, a, r, s2):
        alpha = self.alpha
        with torch.no_grad():
            next_a, next_logp = self.actor.sample(s2)
            tq1, tq2 = self.critic_target(s2, next_a)
            target = r + self.gamma * (torch.min(tq1, tq2) - alpha * next_logp)
        q1, q2 = self.critic(s, a)
        loss_critic = F.mse_loss(q1, target) + F.mse_loss(q2, target)
        self.optim_critic.zero_grad()
        loss_critic.backward()
        self.optim_critic.step()

        actions, log_pis = self.actor.sample(s)
        q1, q2 = self.critic(s, actions)
        loss_actor = (alpha * log_pis - torch.min(q1, q2)).mean()
        self.optim_actor.zero_grad()
        loss_actor.backward()
        self.optim_actor.step()

        with torch.no_grad():
            for t, p in zip(self.critic_target.parameters(), self.critic.parameters()):
                t.mul_(1 - self.tau).add_(self.tau * p)
        return loss_critic.item(), loss_actor.item()


def main():
    torch.manual_seed(0)
    env = PointEnv(batch=64)
    agent = SAC(state_dim=4, action_dim=2)
    s = env.reset()
    for step in range(30):
        a = agent.explore(s)
        s2, r = env.step(a)
        lc, la = agent.update(s, a, r, s2)
        s = s2 if step % 10 else env.reset()
        if step % 10 == 0:
            print(f"step {step:3d} critic {lc:.4f} actor {la:.4f} reward {r.mean().item():.3f}")


if __name__ == "__main__":
    main()
