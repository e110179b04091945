# Report: https://github.com/strands-labs/robots/pull/2455
# FastSAC stores log(init_alpha); init_alpha=0 is accepted, log(0) = -inf, alpha is exactly 0 at
# every update and the checkpoint still holds log_alpha = -inf at the end of a "successful" run.
"""Soft actor-critic with automatic entropy-temperature tuning on a 2-D point-reaching task."""
import copy
import time
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class RLTrainSpec:
    total_steps: int = 500
    warmup_steps: int = 100
    batch_size: int = 64
    buffer_size: int = 20000
    learning_rate: float = 3e-4
    alpha_lr: float = 3e-4
    init_alpha: float = 1.0
    gamma: float = 0.97
    tau: float = 0.01
    hidden: int = 64
    seed: int = 0


class PointReach:
    """Move a point toward a goal in [-1, 1]^2; reward is the negative distance."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)
        self.horizon = 40

    def reset(self):
        self.t = 0
        self.pos = torch.rand(2, generator=self.g) * 2 - 1
        self.goal = torch.rand(2, generator=self.g) * 2 - 1
        return torch.cat([self.pos, self.goal])

    def step(self, action):
        self.t += 1
        self.pos = (self.pos + 0.1 * action.clamp(-1, 1)).clamp(-1, 1)
        dist = (self.pos - self.goal).norm()
        reward = -dist.item()
        done = bool(dist < 0.05)
        truncated = self.t >= self.horizon
        return torch.cat([self.pos, self.goal]), reward, done, truncated


class ReplayBuffer:
    def __init__(self, size, obs_dim, act_dim):
        self.obs = torch.zeros(size, obs_dim)
        self.act = torch.zeros(size, act_dim)
        self.rew = torch.zeros(size, 1)
        self.next_obs = torch.zeros(size, obs_dim)
        self.done = torch.zeros(size, 1)
        self.size, self.ptr, self.full = size, 0, False

    def add(self, o, a, r, o2, d):
        i = self.ptr
        self.obs[i], self.act[i], self.rew[i], self.next_obs[i], self.done[i] = o, a, r, o2, float(d)
        self.ptr = (self.ptr + 1) % self.size
        self.full = self.full or self.ptr == 0

    def sample(self, n):
        idx = torch.randint(0, self.size if self.full else self.ptr, (n,))
        return self.obs[idx], self.act[idx], self.rew[idx], self.next_obs[idx], self.done[idx]


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, act_dim)
        self.log_std = nn.Linear(hidden, act_dim)

    def forward(self, obs):
        h = self.net(obs)
        mu, log_std = self.mu(h), self.log_std(h).clamp(-5, 2)
        std = log_std.exp()
        pre_tanh = mu + std * torch.randn_like(mu)
        action = torch.tanh(pre_tanh)
        log_prob = (-0.5 * ((pre_tanh - mu) / std) ** 2 - log_std - 0.5 * torch.log(torch.tensor(2 * torch.pi))).sum(-1)
        log_prob = log_prob - torch.log(1 - action.pow(2) + 1e-6).sum(-1)
        return action, log_prob


class TwinCritic(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        def q():
            return nn.Sequential(nn.Linear(obs_dim + act_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.q1, self.q2 = q(), q()

    def forward(self, obs, act):
        x = torch.cat([obs, act], dim=-1)
        return self.q1(x), self.q2(x)


spec = RLTrainSpec()
torch.manual_seed(spec.seed)
env = PointReach(spec.seed)
obs_dim, act_dim = 4, 2

actor = Actor(obs_dim, act_dim, spec.hidden)
critic = TwinCritic(obs_dim, act_dim, spec.hidden)
critic_target = copy.deepcopy(critic).requires_grad_(False)
actor_optimizer = torch.optim.Adam(actor.parameters(), lr=spec.learning_rate)
critic_optimizer = torch.optim.Adam(critic.parameters(), lr=spec.learning_rate)

target_entropy = -float(act_dim)
log_alpha = torch.tensor(float(torch.log(torch.tensor(spec.init_alpha))), requires_grad=True)
alpha_optimizer = torch.optim.Adam([log_alpha], lr=spec.alpha_lr)
buffer = ReplayBuffer(spec.buffer_size, obs_dim, act_dim)


def update(batch):
    obs, act, rew, next_obs, done = batch
    alpha = log_alpha.exp().detach()
    with torch.no_grad():
        next_act, next_logp = actor(next_obs)
        tq1, tq2 = critic_target(next_obs, next_act)
        target = rew + spec.gamma * (1 - done) * (torch.min(tq1, tq2) - alpha * next_logp.unsqueeze(-1))
    q1, q2 = critic(obs, act)
    critic_loss = F.mse_loss(q1, target) + F.mse_loss(q2, target)
    critic_optimizer.zero_grad()
    critic_loss.backward()
    critic_optimizer.step()

    new_act, logp = actor(obs)
    q1_pi, q2_pi = critic(obs, new_act)
    actor_loss = (alpha * logp - torch.min(q1_pi, q2_pi).squeeze(-1)).mean()
    actor_optimizer.zero_grad()
    actor_loss.backward()
    actor_optimizer.step()

    alpha_loss = -(log_alpha.exp() * (logp.detach() + target_entropy)).mean()
    alpha_optimizer.zero_grad()
    alpha_loss.backward()
    alpha_optimizer.step()

    with torch.no_grad():
        for p, tp in zip(critic.parameters(), critic_target.parameters()):
            tp.mul_(1 - spec.tau).add_(spec.tau * p)
    return critic_loss.item(), actor_loss.item()


start = time.time()
obs, ep_return, returns = env.reset(), 0.0, []
for step in range(spec.total_steps):
    if step < spec.warmup_steps:
        action = torch.rand(act_dim) * 2 - 1
    else:
        with torch.no_grad():
            action, _ = actor(obs.unsqueeze(0))
            action = action.squeeze(0)
    next_obs, reward, done, truncated = env.step(action)
    buffer.add(obs, action, reward, next_obs, done)
    ep_return += reward
    obs = next_obs
    if done or truncated:
        returns.append(ep_return)
        obs, ep_return = env.reset(), 0.0
    if step >= spec.warmup_steps:
        c_loss, a_loss = update(buffer.sample(spec.batch_size))
        if step % 100 == 0:
            recent = sum(returns[-10:]) / max(len(returns[-10:]), 1)
            print(f"step {step} critic {c_loss:.3f} actor {a_loss:.3f} alpha {log_alpha.exp().item():.4f} "
                  f"return(10) {recent:.2f} ({time.time() - start:.1f}s)")

checkpoint = {"actor": actor.state_dict(), "critic": critic.state_dict(), "log_alpha": log_alpha.detach().clone()}
print("status=success", "final alpha", log_alpha.exp().item(), "saved log_alpha", checkpoint["log_alpha"].item())
