"""A2C for altitude hold on a batch of simulated quadrotors (1-D vertical dynamics).

Each quadrotor observes its altitude error and vertical speed and commands a collective thrust
around hover; the reward penalises altitude error, speed and control effort. Sixteen vehicles run
in parallel, each with its own target altitude, and reset when they leave the flight envelope.
"""
import itertools

import torch as th
from torch import nn
from torch.distributions import Normal

from rollout import collect

N_ENVS = 16
HORIZON = 32
UPDATES = 30
GAMMA = 0.97
LAMBDA = 0.95
DT = 0.05


class AltitudeEnv:
    def __init__(self, n, gen):
        self.n = n
        self.gen = gen
        self.z = th.zeros(n)
        self.vz = th.zeros(n)
        self.target = th.zeros(n)

    def _observe(self):
        return th.stack([self.z - self.target, self.vz], dim=-1)

    def reset(self, mask=None):
        mask = th.ones(self.n, dtype=th.bool) if mask is None else mask
        k = int(mask.sum())
        self.z[mask] = th.rand(k, generator=self.gen) * 2.0
        self.vz[mask] = 0.0
        self.target[mask] = 0.5 + th.rand(k, generator=self.gen) * 1.5
        return self._observe()

    @th.no_grad()
    def step(self, thrust):
        accel = 4.0 * thrust.squeeze(-1).clamp(-1.0, 1.0) + 0.1 * th.randn(self.n, generator=self.gen)
        self.vz = self.vz + DT * accel
        self.z = self.z + DT * self.vz
        err = self.z - self.target
        reward = -0.1 * (err ** 2 + 0.1 * self.vz ** 2 + 0.01 * thrust.squeeze(-1) ** 2)
        done = (err.abs() > 3.0).float()
        if done.any():
            self.reset(done.bool())
        return self._observe(), reward, done


class Actor(nn.Module):
    def __init__(self, obs_dim=2, act_dim=1, hidden=64):
        super().__init__()
        self.mean = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, act_dim),
        )
        self.log_std = nn.Parameter(th.full((act_dim,), -0.7))

    def forward(self, obs):
        return Normal(self.mean(obs), self.log_std.exp())


def critic_net(obs_dim=2, hidden=64):
    return nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def gae(rewards, values, dones, last_value, gamma=GAMMA, lam=LAMBDA):
    advantages = th.zeros_like(rewards)
    running = th.zeros_like(last_value)
    next_value = last_value
    for t in reversed(range(rewards.shape[0])):
        not_done = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * not_done - values[t]
        running = delta + gamma * lam * not_done * running
        advantages[t] = running
        next_value = values[t]
    return advantages, advantages + values


def main():
    th.manual_seed(0)
    gen = th.Generator().manual_seed(0)
    env = AltitudeEnv(N_ENVS, gen)
    actor, critic = Actor(), critic_net()
    optimizer = th.optim.Adam(itertools.chain(actor.parameters(), critic.parameters()), lr=3e-3)

    obs = env.reset()
    for update in range(1, UPDATES + 1):
        batch = collect(actor, critic, env, obs, HORIZON)
        obs = batch.next_obs
        advantages, returns = gae(batch.rewards, batch.values.detach(), batch.dones, batch.last_value)
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

        policy_loss = -(batch.log_probs * advantages).mean()
        value_loss = (returns - batch.values).pow(2).mean()
        entropy = batch.entropies.mean()
        loss = policy_loss + 0.5 * value_loss - 0.01 * entropy

        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(itertools.chain(actor.parameters(), critic.parameters()), 1.0)
        optimizer.step()

        if update % 5 == 0:
            print(f"update {update:3d}  mean reward {batch.rewards.mean().item():7.3f}  "
                  f"value loss {value_loss.item():.3f}  std {actor.log_std.exp().item():.3f}")


if __name__ == "__main__":
    main()
