"""Advantage actor-critic on a small corridor world (no gym needed).

The agent starts in the middle of a 7-cell corridor; reaching the right end gives +1,
the left end gives -1, every step costs 0.01.
"""
import random

import torch as th
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

N_CELLS, MAX_STEPS, GAMMA = 7, 12, 0.95


class Corridor:
    def reset(self):
        self.pos, self.t = N_CELLS // 2, 0
        return self._obs()

    def _obs(self):
        o = th.zeros(N_CELLS)
        o[self.pos] = 1.0
        return o

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        self.t += 1
        if self.pos == N_CELLS - 1:
            return self._obs(), 1.0, True
        if self.pos == 0:
            return self._obs(), -1.0, True
        return self._obs(), -0.01, self.t >= MAX_STEPS


class ActorCritic(nn.Module):
    def __init__(self, n_obs, n_act, hidden=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_obs, hidden), nn.Tanh())
        self.policy_head = nn.Linear(hidden, n_act)
        self.value_head = nn.Linear(hidden, 1)

    def forward(self, obs):
        h = self.body(obs)
        return F.softmax(self.policy_head(h), dim=-1), self.value_head(h)


def discounted_returns(rewards, gamma=GAMMA):
    out, running = [], 0.0
    for r in reversed(rewards):
        running = r + gamma * running
        out.insert(0, running)
    return th.tensor(out, dtype=th.float)


def update(net, optimizer, memory):
    log_probs = th.tensor([t[1] for t in memory], dtype=th.float)
    values = th.cat([t[2] for t in memory]).squeeze(-1)
    returns = discounted_returns([t[3] for t in memory])
    advantage = returns - values.detach()
    actor_loss = -(log_probs * advantage).mean()
    critic_loss = F.smooth_l1_loss(values, returns)
    loss = actor_loss + 0.5 * critic_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


if __name__ == "__main__":
    th.manual_seed(3)
    random.seed(3)
    env = Corridor()
    net = ActorCritic(N_CELLS, 2)
    optimizer = th.optim.Adam(net.parameters(), lr=1e-2)
    for episode in range(40):
        obs, memory, done, ep_ret = env.reset(), [], False, 0.0
        while not done:
            probs, value = net(obs)
            dist = Categorical(probs)
            action = dist.sample()
            next_obs, reward, done = env.step(action.item())
            memory.append((obs, dist.log_prob(action), value, reward))
            ep_ret += reward
            obs = next_obs
        loss = update(net, optimizer, memory)
        if episode % 10 == 0:
            print(f"episode {episode:3d}  return {ep_ret:+.2f}  loss {loss:.4f}")
