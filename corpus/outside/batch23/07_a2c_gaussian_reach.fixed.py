# Report: https://github.com/DLR-RM/stable-baselines3/issues/2096
# "when using .rsample() to obtain actions from a Gaussian distribution, the gradients with
# respect to the mean parameters of the policy network are zero" (see also pytorch/pytorch#10943).
"""Advantage actor-critic (A2C) with a Gaussian policy on a 2-D point-mass reaching task.

A batch of numpy environments is stepped in lockstep. The actor outputs the mean of a diagonal
Gaussian (state-independent log std), the critic a state value. Returns use GAE(lambda) and
the update is the usual policy-gradient + value + entropy loss after every rollout.
"""
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Normal

N_ENVS = 16
HORIZON = 32
UPDATES = 60
GAMMA, LAM = 0.97, 0.95


class PointMassReach:
    """Vectorised point mass: state = (pos, vel, goal), action = force in [-1, 1]^2."""

    def __init__(self, n, seed):
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.dt = 0.1
        self.reset_all()

    def reset_all(self):
        self.pos = self.rng.uniform(-1, 1, (self.n, 2))
        self.vel = np.zeros((self.n, 2))
        self.goal = self.rng.uniform(-1, 1, (self.n, 2))
        self.t = np.zeros(self.n, dtype=int)
        return self.obs()

    def obs(self):
        return np.concatenate([self.pos, self.vel, self.goal - self.pos], 1).astype(np.float32)

    def step(self, action):
        a = np.clip(action, -1.0, 1.0)
        self.vel = 0.9 * self.vel + self.dt * a
        self.pos = np.clip(self.pos + self.dt * self.vel, -1.5, 1.5)
        dist = np.linalg.norm(self.goal - self.pos, axis=1)
        reward = -dist - 0.01 * (a ** 2).sum(1)
        self.t += 1
        done = (self.t >= 50) | (dist < 0.05)
        if done.any():
            k = done.sum()
            self.pos[done] = self.rng.uniform(-1, 1, (k, 2))
            self.vel[done] = 0.0
            self.goal[done] = self.rng.uniform(-1, 1, (k, 2))
            self.t[done] = 0
        return self.obs(), reward.astype(np.float32), done


class GaussianActor(nn.Module):
    def __init__(self, obs_dim=6, act_dim=2, hidden=64):
        super().__init__()
        self.mu_net = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
            nn.Linear(hidden, act_dim))
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))

    def forward(self, obs):
        return Normal(self.mu_net(obs), self.log_std.exp())


class Critic(nn.Module):
    def __init__(self, obs_dim=6, hidden=64):
        super().__init__()
        self.v = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, obs):
        return self.v(obs).squeeze(-1)


def gae(rewards, values, dones, last_value):
    adv = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[1])
    for t in reversed(range(rewards.shape[0])):
        next_v = last_value if t == rewards.shape[0] - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + GAMMA * next_v * nonterminal - values[t]
        running = delta + GAMMA * LAM * nonterminal * running
        adv[t] = running
    return adv, adv + values


def main():
    torch.manual_seed(0)
    env = PointMassReach(N_ENVS, seed=0)
    actor, critic = GaussianActor(), Critic()
    optimizer = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()), lr=3e-3)
    obs = torch.as_tensor(env.reset_all())

    for update in range(UPDATES):
        logps, ents, values, rewards, dones = [], [], [], [], []
        for _ in range(HORIZON):
            dist = actor(obs)
            action = dist.sample()
            logps.append(dist.log_prob(action).sum(-1))
            ents.append(dist.entropy().sum(-1))
            values.append(critic(obs))
            next_obs, r, d = env.step(action.detach().numpy())
            rewards.append(torch.as_tensor(r))
            dones.append(torch.as_tensor(d, dtype=torch.float32))
            obs = torch.as_tensor(next_obs)

        values_t = torch.stack(values)
        with torch.no_grad():
            adv, returns = gae(torch.stack(rewards), values_t.detach(), torch.stack(dones), critic(obs))
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)

        policy_loss = -(torch.stack(logps) * adv).mean()
        value_loss = 0.5 * (returns - values_t).pow(2).mean()
        entropy = torch.stack(ents).mean()
        loss = policy_loss + 0.5 * value_loss - 0.003 * entropy

        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(list(actor.parameters()) + list(critic.parameters()), 0.5)
        optimizer.step()

        if update % 10 == 0 or update == UPDATES - 1:
            print(f"update {update:3d}  mean reward {torch.stack(rewards).mean().item():.3f}  "
                  f"value loss {value_loss.item():.4f}  std {actor.log_std.exp().mean().item():.3f}")


if __name__ == "__main__":
    main()
