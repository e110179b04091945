# Source: https://github.com/alibaba/ROLL/issues/397
# Policy-gradient agent on a sparse-reward grid task: the only reward is +1 when the goal is
# reached (0 on every other step and on time-out), and the return is undiscounted (gamma = 1).
# The reward-normalisation config groups the returns by trajectory and subtracts the group mean.
# With a terminal-only reward and gamma = 1, every step of a trajectory has the same return R, so
# R - mean(R, ..., R) is exactly 0 for every step of every trajectory: all advantages are 0, the
# policy loss is 0 with an all-zero gradient, and the policy network never changes. Training runs
# to the end and the success rate just stays at the random-policy level.
import random
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = dict(
    grid=5,
    max_steps=12,
    n_envs=32,
    updates=60,
    gamma=1.0,
    lr=3e-3,
    hidden=64,
    reward_norm=dict(grouping="trajectory", method="mean"),
    eval_every=10,
    seed=3,
)

random.seed(cfg["seed"])
torch.manual_seed(cfg["seed"])

MOVES = torch.tensor([[0, 1], [0, -1], [1, 0], [-1, 0]])


class GridEnv:
    """Batch of independent N x N grids; the goal is the bottom-right cell."""

    def __init__(self, n_envs, size, max_steps):
        self.n, self.size, self.max_steps = n_envs, size, max_steps
        self.goal = torch.tensor([size - 1, size - 1])

    def reset(self):
        self.pos = torch.randint(0, self.size, (self.n, 2))
        at_goal = (self.pos == self.goal).all(1)
        self.pos[at_goal] = 0
        self.t = 0
        return self.obs()

    def obs(self):
        idx = self.pos[:, 0] * self.size + self.pos[:, 1]
        return F.one_hot(idx, self.size * self.size).float()

    def step(self, actions):
        self.pos = (self.pos + MOVES[actions]).clamp(0, self.size - 1)
        self.t += 1
        reached = (self.pos == self.goal).all(1)
        reward = reached.float()
        done = reached | (self.t >= self.max_steps)
        return self.obs(), reward, done


class Policy(nn.Module):
    def __init__(self, obs_dim, hidden, n_actions):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.logits = nn.Linear(hidden, n_actions)

    def forward(self, obs):
        return self.logits(self.body(obs))


def discounted_returns(rewards, gamma):
    out, running = [], 0.0
    for r in reversed(rewards):
        running = r + gamma * running
        out.append(running)
    return list(reversed(out))


def normalize_rewards(returns, group_ids, method):
    groups = defaultdict(list)
    for i, g in enumerate(group_ids):
        groups[g].append(i)
    adv = torch.empty_like(returns)
    for idx in groups.values():
        idx = torch.tensor(idx)
        r = returns[idx]
        a = r - r.mean()
        if method == "mean_std" and idx.numel() > 1:
            a = a / (r.std() + 1e-8)
        adv[idx] = a
    return adv


class Agent:
    def __init__(self, cfg):
        self.cfg = cfg
        self.policy = Policy(cfg["grid"] ** 2, cfg["hidden"], 4)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=cfg["lr"])

    def rollout(self, env):
        obs = env.reset()
        alive = torch.ones(env.n, dtype=torch.bool)
        traj = [dict(logp=[], rew=[]) for _ in range(env.n)]
        while alive.any():
            dist = torch.distributions.Categorical(logits=self.policy(obs))
            actions = dist.sample()
            logp = dist.log_prob(actions)
            obs, reward, done = env.step(actions)
            for i in alive.nonzero(as_tuple=True)[0].tolist():
                traj[i]["logp"].append(logp[i])
                traj[i]["rew"].append(float(reward[i]))
            alive = alive & ~done
        return traj

    def update(self, traj):
        logps, rets, traj_ids = [], [], []
        for k, tr in enumerate(traj):
            logps += tr["logp"]
            rets += discounted_returns(tr["rew"], self.cfg["gamma"])
            traj_ids += [k] * len(tr["rew"])
        returns = torch.tensor(rets)
        norm = self.cfg["reward_norm"]
        groups = traj_ids if norm["grouping"] == "trajectory" else [0] * len(traj_ids)
        adv = normalize_rewards(returns, groups, norm["method"])
        loss = -(torch.stack(logps) * adv).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        success = sum(tr["rew"][-1] for tr in traj) / len(traj)
        return loss.item(), success

    @torch.no_grad()
    def evaluate(self, env):
        obs = env.reset()
        solved = torch.zeros(env.n, dtype=torch.bool)
        for _ in range(env.max_steps):
            obs, reward, done = env.step(self.policy(obs).argmax(-1))
            solved |= reward > 0
            if done.all():
                break
        return solved.float().mean().item()


env = GridEnv(cfg["n_envs"], cfg["grid"], cfg["max_steps"])
eval_env = GridEnv(64, cfg["grid"], cfg["max_steps"])
agent = Agent(cfg)

for it in range(1, cfg["updates"] + 1):
    trajectories = agent.rollout(env)
    loss, success = agent.update(trajectories)
    if it % cfg["eval_every"] == 0 or it == 1:
        greedy = agent.evaluate(eval_env)
        print(f"update {it:3d} loss {loss:+.5f} rollout success {success:.2f} greedy success {greedy:.2f}")
