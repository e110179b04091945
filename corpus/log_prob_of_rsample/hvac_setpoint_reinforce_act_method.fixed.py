"""Episodic REINFORCE for supply-air temperature control in a simulated office zone.

The zone is a first-order thermal model with occupancy and solar gains; every 15 minutes the
controller sets the supply-air temperature offset. The reward trades comfort (distance to 22 C
while occupied) against heating/cooling energy. The agent keeps its own rollout buffer.
"""
import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.distributions import Normal


@dataclass
class ZoneConfig:
    steps_per_day: int = 48
    n_zones: int = 24
    episodes: int = 40
    lr: float = 5e-3
    gamma: float = 0.98
    comfort_weight: float = 1.0
    energy_weight: float = 0.05
    seed: int = 4


class OfficeZones:
    def __init__(self, cfg: ZoneConfig, gen: torch.Generator):
        self.cfg, self.gen = cfg, gen

    def reset(self):
        self.t = 0
        self.temp = 18.0 + 4.0 * torch.rand(self.cfg.n_zones, generator=self.gen)
        self.outdoor = 5.0 + 10.0 * torch.rand(self.cfg.n_zones, generator=self.gen)
        return self.observe()

    def observe(self):
        hour = 24.0 * self.t / self.cfg.steps_per_day
        occupied = torch.full_like(self.temp, float(8 <= hour < 18))
        clock = torch.full_like(self.temp, math.sin(2 * math.pi * hour / 24))
        return torch.stack([(self.temp - 22.0) / 5.0, (self.outdoor - 10.0) / 10.0, occupied, clock], -1)

    @torch.no_grad()
    def step(self, offset):
        occupied = self.observe()[:, 2]
        supply = 22.0 + 6.0 * torch.tanh(offset)
        self.temp = self.temp + 0.3 * (supply - self.temp) + 0.05 * (self.outdoor - self.temp) + 0.4 * occupied
        self.t += 1
        comfort = occupied * (self.temp - 22.0).abs()
        energy = (supply - self.temp).abs()
        reward = -(self.cfg.comfort_weight * comfort + self.cfg.energy_weight * energy)
        return self.observe(), reward, self.t >= self.cfg.steps_per_day


class SetpointPolicy(nn.Module):
    def __init__(self, obs_dim: int = 4, hidden: int = 32):
        super().__init__()
        self.mu = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.log_sigma = nn.Parameter(torch.tensor([-0.5]))

    def forward(self, obs: torch.Tensor) -> Normal:
        return Normal(self.mu(obs).squeeze(-1), self.log_sigma.exp())

    def act(self, obs: torch.Tensor):
        dist = self(obs)
        action = dist.sample()
        return action, dist


@dataclass
class Episode:
    log_probs: list = field(default_factory=list)
    rewards: list = field(default_factory=list)


def run_episode(env: OfficeZones, policy: SetpointPolicy) -> Episode:
    episode = Episode()
    obs, done = env.reset(), False
    while not done:
        action, dist = policy.act(obs)
        obs, reward, done = env.step(action)
        episode.log_probs.append(dist.log_prob(action))
        episode.rewards.append(reward)
    return episode


def discounted(rewards, gamma):
    out, running = [], torch.zeros_like(rewards[0])
    for r in reversed(rewards):
        running = r + gamma * running
        out.append(running)
    return torch.stack(out[::-1])


def main():
    cfg = ZoneConfig()
    torch.manual_seed(cfg.seed)
    env = OfficeZones(cfg, torch.Generator().manual_seed(cfg.seed))
    policy = SetpointPolicy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    for ep in range(cfg.episodes):
        episode = run_episode(env, policy)
        returns = discounted(episode.rewards, cfg.gamma)
        returns = (returns - returns.mean(dim=1, keepdim=True)) / (returns.std(dim=1, keepdim=True) + 1e-6)
        loss = -(torch.stack(episode.log_probs) * returns).sum(0).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if ep % 10 == 0 or ep == cfg.episodes - 1:
            daily = torch.stack(episode.rewards).sum(0).mean().item()
            print(f"episode {ep:3d}  daily reward {daily:8.2f}  sigma {policy.log_sigma.exp().item():.3f}")


if __name__ == "__main__":
    main()
