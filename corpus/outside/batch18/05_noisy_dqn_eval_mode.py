# DQN with NoisyNet exploration (Rainbow-style NoisyLinear layers) on a long
# corridor MDP where epsilon-greedy exploration is hopeless.
#
# Reproduces: https://github.com/pytorch/rl/issues/3069
#   NoisyLinear ties its noise to module.training: in train() it uses
#   mu + sigma * eps, in eval() only mu.  The greedy evaluation (run once on the
#   untrained policy and then periodically) switches the Q-network to eval() and
#   nothing ever switches it back, so every TD update runs the noise-free branch.
#   The sigma parameters are never in the graph, get no gradient and keep their
#   initial values; the agent also silently never explores.  No error, the TD
#   loss keeps going down.
import argparse
import copy
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = {"corridor": 10, "max_steps": 20, "gamma": 0.97, "buffer": 5000, "batch": 32, "train_freq": 2,
          "target_sync": 50, "warmup": 64, "eval_every": 8, "eval_episodes": 2, "seed": 0}


class Corridor:
    """Start at the left end; +1 at the right end, small step cost, noisy one-hot obs."""

    def __init__(self, length, max_steps, rng):
        self.n, self.max_steps, self.rng = length, max_steps, rng

    def obs(self):
        o = torch.zeros(self.n)
        o[self.pos] = 1.0
        return o + 0.01 * torch.randn(self.n)

    def reset(self):
        self.pos, self.t = 0, 0
        return self.obs()

    def step(self, a):
        self.t += 1
        self.pos = min(self.n - 1, self.pos + 1) if a == 1 else max(0, self.pos - 1)
        done = self.pos == self.n - 1 or self.t >= self.max_steps
        reward = 1.0 if self.pos == self.n - 1 else -0.01
        return self.obs(), reward, done


class NoisyLinear(nn.Module):
    def __init__(self, in_features, out_features, sigma0=0.5):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight_mu = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.weight_sigma = nn.Parameter(torch.full((out_features, in_features), sigma0 * bound))
        self.bias_mu = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        self.bias_sigma = nn.Parameter(torch.full((out_features,), sigma0 * bound))
        self.register_buffer("weight_epsilon", torch.zeros(out_features, in_features))
        self.register_buffer("bias_epsilon", torch.zeros(out_features))
        self.reset_noise()

    @staticmethod
    def _f(x):
        return x.sign() * x.abs().sqrt()

    def reset_noise(self):
        e_in, e_out = self._f(torch.randn(self.in_features)), self._f(torch.randn(self.out_features))
        self.weight_epsilon.copy_(torch.outer(e_out, e_in))
        self.bias_epsilon.copy_(e_out)

    def forward(self, x):
        if self.training:
            w = self.weight_mu + self.weight_sigma * self.weight_epsilon
            b = self.bias_mu + self.bias_sigma * self.bias_epsilon
        else:
            w, b = self.weight_mu, self.bias_mu
        return F.linear(x, w, b)


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU())
        self.noisy = NoisyLinear(hidden, hidden)
        self.head = NoisyLinear(hidden, n_actions)

    def forward(self, x):
        return self.head(F.relu(self.noisy(self.body(x))))

    def reset_noise(self):
        self.noisy.reset_noise()
        self.head.reset_noise()


class DQNAgent:
    def __init__(self, obs_dim, n_actions, cfg, lr):
        self.cfg = cfg
        self.q_net = QNetwork(obs_dim, n_actions)
        self.target_net = copy.deepcopy(self.q_net).requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=lr)
        self.buffer, self.updates = [], 0

    @torch.no_grad()
    def act(self, obs):
        return int(self.q_net(obs[None]).argmax(-1))

    def remember(self, *transition):
        self.buffer.append(transition)
        if len(self.buffer) > self.cfg["buffer"]:
            self.buffer.pop(0)

    def update(self):
        batch = random.sample(self.buffer, self.cfg["batch"])
        s, a, r, s2, d = (torch.stack([torch.as_tensor(x[i], dtype=torch.float32) for x in batch]) for i in range(5))
        q = self.q_net(s).gather(1, a.long()[:, None]).squeeze(1)
        with torch.no_grad():
            next_a = self.q_net(s2).argmax(1, keepdim=True)             # double DQN
            target = r + self.cfg["gamma"] * (1 - d) * self.target_net(s2).gather(1, next_a).squeeze(1)
        loss = F.smooth_l1_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q_net.parameters(), 10.0)
        self.optimizer.step()
        self.q_net.reset_noise()
        self.target_net.reset_noise()
        self.updates += 1
        if self.updates % self.cfg["target_sync"] == 0:
            self.target_net.load_state_dict(self.q_net.state_dict())
        return loss.item()


def evaluate(agent, env, episodes):
    agent.q_net.eval()  # greedy policy: no parameter noise
    returns = []
    for _ in range(episodes):
        obs, done, ret = env.reset(), False, 0.0
        while not done:
            obs, r, done = env.step(agent.act(obs))
            ret += r
        returns.append(ret)
    return sum(returns) / len(returns)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=40)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    cfg = dict(CONFIG)
    random.seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    env = Corridor(cfg["corridor"], cfg["max_steps"], random.Random(cfg["seed"]))
    eval_env = Corridor(cfg["corridor"], cfg["max_steps"], random.Random(cfg["seed"] + 1))
    agent = DQNAgent(cfg["corridor"], 2, cfg, args.lr)

    print(f"untrained policy: eval return {evaluate(agent, eval_env, cfg['eval_episodes']):.2f}")
    losses, step = [], 0
    for episode in range(1, args.episodes + 1):
        obs, done, ep_ret = env.reset(), False, 0.0
        while not done:
            step += 1
            action = agent.act(obs)
            nxt, reward, done = env.step(action)
            agent.remember(obs, action, reward, nxt, float(done))
            obs, ep_ret = nxt, ep_ret + reward
            if len(agent.buffer) >= cfg["warmup"] and step % cfg["train_freq"] == 0:
                losses.append(agent.update())
        if episode % cfg["eval_every"] == 0:
            avg = evaluate(agent, eval_env, cfg["eval_episodes"])
            sigma = agent.q_net.head.weight_sigma.abs().mean().item()
            recent = sum(losses[-50:]) / max(1, len(losses[-50:]))
            print(f"episode {episode}: train return {ep_ret:.2f} eval return {avg:.2f} "
                  f"td loss {recent:.4f} |sigma| {sigma:.4f}")
