"""Soft actor-critic for heading control of a small boat (rudder command in [-1, 1]).

The boat turns with a first-order yaw response and is pushed by a slowly varying current; the
reward is the cosine of the heading error minus a small rudder penalty. Squashed-Gaussian actor,
twin critics with Polyak-averaged targets, and a learned entropy temperature.
"""
import copy
import math
import random
from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal

OBS_DIM, ACT_DIM = 3, 1
EPISODE_LEN = 50
TOTAL_STEPS = 300
BATCH = 64
GAMMA, TAU = 0.98, 0.01


class BoatEnv:
    def __init__(self, rng):
        self.rng = rng

    def reset(self):
        self.err = self.rng.uniform(-math.pi, math.pi)
        self.yaw_rate = 0.0
        self.t = 0
        return self._obs()

    def _obs(self):
        return torch.tensor([math.sin(self.err), math.cos(self.err), self.yaw_rate], dtype=torch.float32)

    def step(self, rudder):
        current = 0.05 * math.sin(0.1 * self.t)
        self.yaw_rate += 0.2 * (1.5 * rudder - self.yaw_rate) + current
        self.err = (self.err + 0.1 * self.yaw_rate + math.pi) % (2 * math.pi) - math.pi
        self.t += 1
        reward = math.cos(self.err) - 0.01 * rudder ** 2
        return self._obs(), reward, self.t >= EPISODE_LEN


def mlp(inp, out, hidden=64):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = mlp(OBS_DIM, 64)
        self.mu = nn.Linear(64, ACT_DIM)
        self.log_std = nn.Linear(64, ACT_DIM)

    def forward(self, obs):
        h = F.relu(self.body(obs))
        return Normal(self.mu(h), self.log_std(h).clamp(-5.0, 2.0).exp())


def squashed_sample(actor, obs):
    dist = actor(obs)
    u = dist.rsample()
    action = torch.tanh(u)
    log_prob = dist.log_prob(u).sum(-1) - torch.log(1 - action.pow(2) + 1e-6).sum(-1)
    return action, log_prob


def main():
    torch.manual_seed(0)
    rng = random.Random(0)
    env = BoatEnv(rng)
    actor = Actor()
    q1, q2 = mlp(OBS_DIM + ACT_DIM, 1), mlp(OBS_DIM + ACT_DIM, 1)
    q1_targ, q2_targ = copy.deepcopy(q1), copy.deepcopy(q2)
    for p in list(q1_targ.parameters()) + list(q2_targ.parameters()):
        p.requires_grad_(False)
    log_alpha = torch.zeros(1, requires_grad=True)
    target_entropy = -float(ACT_DIM)

    actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    critic_opt = torch.optim.Adam(list(q1.parameters()) + list(q2.parameters()), lr=3e-4)
    alpha_opt = torch.optim.Adam([log_alpha], lr=3e-4)
    buffer = deque(maxlen=10_000)

    obs, ep_return, returns = env.reset(), 0.0, []
    for step in range(TOTAL_STEPS):
        with torch.no_grad():
            action, _ = squashed_sample(actor, obs.unsqueeze(0))
            action = action.squeeze(0)
        next_obs, reward, done = env.step(action.item())
        buffer.append((obs, action, reward, next_obs, float(done)))
        obs, ep_return = next_obs, ep_return + reward
        if done:
            returns.append(ep_return)
            obs, ep_return = env.reset(), 0.0

        if len(buffer) < BATCH:
            continue
        o, a, r, o2, d = zip(*rng.sample(buffer, BATCH))
        o, a, o2 = torch.stack(o), torch.stack(a), torch.stack(o2)
        r, d = torch.tensor(r), torch.tensor(d)
        alpha = log_alpha.exp().detach()

        with torch.no_grad():
            a2, logp2 = squashed_sample(actor, o2)
            oa2 = torch.cat([o2, a2], -1)
            q_next = torch.min(q1_targ(oa2), q2_targ(oa2)).squeeze(-1) - alpha * logp2
            target = r + GAMMA * (1 - d) * q_next
        oa = torch.cat([o, a], -1)
        critic_loss = F.mse_loss(q1(oa).squeeze(-1), target) + F.mse_loss(q2(oa).squeeze(-1), target)
        critic_opt.zero_grad()
        critic_loss.backward()
        critic_opt.step()

        new_a, logp = squashed_sample(actor, o)
        oa_new = torch.cat([o, new_a], -1)
        q_new = torch.min(q1(oa_new), q2(oa_new)).squeeze(-1)
        actor_loss = (alpha * logp - q_new).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()

        alpha_loss = -(log_alpha * (logp.detach() + target_entropy)).mean()
        alpha_opt.zero_grad()
        alpha_loss.backward()
        alpha_opt.step()

        with torch.no_grad():
            for net, targ in ((q1, q1_targ), (q2, q2_targ)):
                for p, p_targ in zip(net.parameters(), targ.parameters()):
                    p_targ.mul_(1 - TAU).add_(TAU * p)

        if step % 50 == 0 and returns:
            print(f"step {step:4d}  last return {returns[-1]:7.2f}  critic {critic_loss.item():.3f}  alpha {alpha.item():.3f}")
    print(f"episodes {len(returns)}, mean of last 3 returns {sum(returns[-3:]) / 3:.2f}")


if __name__ == "__main__":
    main()
