"""Double DQN with a Polyak-averaged target network on a noisy chain MDP (correct look-alike).

Things that look like faults but are intended:
  * the target network is a deepcopy with requires_grad_(False) and is not in the optimizer;
  * it is updated in place with lerp_ inside torch.no_grad() (soft update, tau = 0.02);
  * TD targets are built under torch.no_grad(), and the greedy action for the target comes
    from the online net's .argmax() (Double DQN), which carries no gradient on purpose;
  * the Q-network adds its skip branch in place (h += skip) on a fresh linear output.
"""
import copy
import random
from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class NoisyChain:
    """States 0..N-1 (one-hot + noise), actions left/right; reward at both ends, bigger on the right."""

    def __init__(self, n=10, seed=0):
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.reset()

    def obs(self):
        o = np.zeros(self.n, dtype=np.float32)
        o[self.s] = 1.0
        return o + 0.05 * self.rng.standard_normal(self.n).astype(np.float32)

    def reset(self):
        self.s = self.n // 2
        self.t = 0
        return self.obs()

    def step(self, a):
        move = 1 if a == 1 else -1
        if self.rng.random() < 0.1:
            move = -move
        self.s = int(np.clip(self.s + move, 0, self.n - 1))
        self.t += 1
        reward = 1.0 if self.s == self.n - 1 else (0.1 if self.s == 0 else -0.01)
        done = self.s in (0, self.n - 1) or self.t >= 40
        return self.obs(), reward, done


class QNet(nn.Module):
    def __init__(self, n_obs, n_act=2, hidden=64):
        super().__init__()
        self.inp = nn.Linear(n_obs, hidden)
        self.skip = nn.Linear(n_obs, hidden, bias=False)
        self.body = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_act)

    def forward(self, x):
        h = self.inp(x)
        h += self.skip(x)
        return self.head(self.body(F.relu(h)))


class Replay:
    def __init__(self, cap):
        self.buf = deque(maxlen=cap)

    def push(self, *tr):
        self.buf.append(tr)

    def sample(self, k):
        batch = random.sample(self.buf, k)
        s, a, r, s2, d = zip(*batch)
        return (torch.tensor(np.array(s)), torch.tensor(a), torch.tensor(r, dtype=torch.float32),
                torch.tensor(np.array(s2)), torch.tensor(d, dtype=torch.float32))


def main():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    env = NoisyChain()
    q_net = QNet(env.n)
    target = copy.deepcopy(q_net).requires_grad_(False)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=1e-3)
    replay = Replay(5000)
    gamma, tau, batch = 0.95, 0.02, 64

    obs, ep_ret, returns = env.reset(), 0.0, []
    for step in range(1, 1801):
        eps = max(0.05, 1.0 - step / 1000)
        if random.random() < eps:
            a = random.randrange(2)
        else:
            with torch.no_grad():
                a = int(q_net(torch.as_tensor(obs)[None]).argmax(1))
        obs2, r, done = env.step(a)
        replay.push(obs, a, r, obs2, float(done))
        obs, ep_ret = obs2, ep_ret + r
        if done:
            returns.append(ep_ret)
            obs, ep_ret = env.reset(), 0.0

        if len(replay.buf) >= 256 and step % 3 == 0:
            s, a_b, r_b, s2, d = replay.sample(batch)
            q = q_net(s).gather(1, a_b[:, None]).squeeze(1)
            with torch.no_grad():
                a_star = q_net(s2).argmax(1, keepdim=True)
                y = r_b + gamma * (1 - d) * target(s2).gather(1, a_star).squeeze(1)
            loss = F.smooth_l1_loss(q, y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(q_net.parameters(), 10.0)
            optimizer.step()
            with torch.no_grad():
                for p_t, p in zip(target.parameters(), q_net.parameters()):
                    p_t.lerp_(p, tau)

        if step % 300 == 0:
            recent = returns[-20:] if returns else [0.0]
            print(f"step {step}: eps {eps:.2f}  mean return (last 20 eps) {sum(recent) / len(recent):.3f}")


if __name__ == "__main__":
    main()
