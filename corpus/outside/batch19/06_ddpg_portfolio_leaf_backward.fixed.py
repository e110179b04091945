# DDPG portfolio-allocation agent on a synthetic multi-asset price series.
#
# Reproduces: https://github.com/JoshuaWu1997/PyTorch-DDPG-Stock-Trading/issues/2
# ("a question in DDPG.train_on_batch": the actor update should be
#  actor_loss = -critic(actor(state), state).mean(); actor_loss.backward())
#
# Fault (in my words): the actor is not trained through the critic. Critic.train() returns
# the mean gradient of the critic's first-layer weight columns that see the action (a rough
# "dQ/da"), and Actor.train() pushes it into the actor with
# self.actor_weights[-1].backward(-dq_da). backward() on a leaf tensor only sets that leaf's
# own .grad: the output-layer bias gets a gradient, every other actor weight keeps grad None,
# so Adam skips them. The critic learns, the logged "actor step" runs every iteration, but
# all actor layers except the last bias keep their initial values.
import argparse
import copy
import time

import torch
import torch.nn as nn

CONFIG = {
    "n_assets": 5,
    "window": 8,
    "hidden": 48,
    "episode_len": 240,
    "episodes": 3,
    "batch_size": 64,
    "warmup": 96,
    "buffer": 4096,
    "gamma": 0.95,
    "tau": 0.01,
    "actor_lr": 1e-3,
    "critic_lr": 1e-3,
    "noise": 0.05,
}


def soft_copy(target, source, tau):
    for t, s in zip(target, source):
        t.data = t.data + tau * (s.data - t.data)


class PriceEnv:
    """Geometric random walk with regime-dependent drifts; reward = log portfolio return."""

    def __init__(self, n_assets, window, length, seed):
        g = torch.Generator().manual_seed(seed)
        drift = 0.002 * torch.randn(n_assets, generator=g)
        regime = torch.sign(torch.sin(torch.arange(length + window) / 25.0))[:, None]
        rets = drift * regime + 0.01 * torch.randn(length + window, n_assets, generator=g)
        self.log_prices = rets.cumsum(0)
        self.rets = rets
        self.window, self.length = window, length

    def reset(self):
        self.t = self.window
        self.holdings = torch.full((self.rets.size(1),), 1.0 / self.rets.size(1))
        return self.state()

    def state(self):
        hist = self.log_prices[self.t - self.window:self.t]
        hist = hist - hist[-1:]
        return torch.cat([hist.flatten() * 10.0, self.holdings])

    def step(self, weights):
        r = torch.log((weights * self.rets[self.t].exp()).sum())
        self.holdings = weights
        self.t += 1
        done = self.t >= self.window + self.length
        return self.state(), r, done


class ActorNet(nn.Module):
    def __init__(self, state_dim, hidden, n_assets):
        super().__init__()
        self.nn = nn.Sequential(nn.Linear(state_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                nn.Linear(hidden, n_assets), nn.Softmax(dim=-1))

    def forward(self, s):
        return self.nn(s)


class CriticNet(nn.Module):
    def __init__(self, state_dim, hidden, n_assets):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(n_assets + hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.body = nn.Sequential(nn.Linear(state_dim, hidden), nn.ReLU())

    def forward(self, a, s):
        return self.head(torch.cat([a, self.body(s)], dim=-1))


class Actor:
    def __init__(self, state_dim, hidden, n_assets, lr):
        self.actor = ActorNet(state_dim, hidden, n_assets)
        self.target = copy.deepcopy(self.actor)
        self.actor_weights = list(self.actor.parameters())
        self.target_weights = list(self.target.parameters())
        self.optimizer = torch.optim.Adam(self.actor.parameters(), lr=lr)

    def train(self, critic, s):
        actor_loss = -critic(self.actor(s), s).mean()
        self.optimizer.zero_grad()
        actor_loss.backward()
        self.optimizer.step()

    def target_action(self, s):
        return self.target(s)

    def update_target(self, tau):
        soft_copy(self.target_weights, self.actor_weights, tau)


class Critic:
    def __init__(self, state_dim, hidden, n_assets, lr):
        self.n_assets = n_assets
        self.critic = CriticNet(state_dim, hidden, n_assets)
        self.target = copy.deepcopy(self.critic)
        self.critic_weights = list(self.critic.parameters())
        self.target_weights = list(self.target.parameters())
        self.optimizer = torch.optim.Adam(self.critic.parameters(), lr=lr)

    def train(self, y, a, s):
        self.loss = nn.functional.mse_loss(self.critic(a, s), y)
        self.optimizer.zero_grad()
        self.loss.backward()
        self.optimizer.step()
        # gradient of the loss w.r.t. the weights that multiply the action inputs ~ dQ/da
        return self.critic_weights[0].grad[:, :self.n_assets].mean(dim=0)

    def target_q(self, a, s):
        return self.target(a, s).squeeze(-1)

    def update_target(self, tau):
        soft_copy(self.target_weights, self.critic_weights, tau)


class DDPG:
    def __init__(self, cfg, state_dim):
        self.cfg = cfg
        self.actor_network = Actor(state_dim, cfg["hidden"], cfg["n_assets"], cfg["actor_lr"])
        self.critic_network = Critic(state_dim, cfg["hidden"], cfg["n_assets"], cfg["critic_lr"])
        n = cfg["buffer"]
        self.buf = {"s": torch.zeros(n, state_dim), "a": torch.zeros(n, cfg["n_assets"]),
                    "r": torch.zeros(n), "s2": torch.zeros(n, state_dim)}
        self.size, self.ptr = 0, 0

    def perceive(self, s, a, r, s2):
        for k, v in zip(("s", "a", "r", "s2"), (s, a, r, s2)):
            self.buf[k][self.ptr] = v
        self.ptr = (self.ptr + 1) % self.cfg["buffer"]
        self.size = min(self.size + 1, self.cfg["buffer"])

    def act(self, s):
        with torch.no_grad():
            a = self.actor_network.target_action(s.unsqueeze(0)).squeeze(0)
        a = (a + self.cfg["noise"] * torch.randn_like(a)).clamp(min=1e-4)
        return a / a.sum()

    def train_on_batch(self):
        idx = torch.randint(0, self.size, (self.cfg["batch_size"],))
        s, a, r, s2 = (self.buf[k][idx] for k in ("s", "a", "r", "s2"))
        with torch.no_grad():
            y = (r + self.cfg["gamma"] * self.critic_network.target_q(self.actor_network.target_action(s2), s2))
        self.critic_network.train(y.unsqueeze(-1), a, s)
        self.actor_network.train(self.critic_network.critic, s)
        self.actor_network.update_target(self.cfg["tau"])
        self.critic_network.update_target(self.cfg["tau"])
        return self.critic_network.loss.item()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--episodes", type=int, default=CONFIG["episodes"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
env = PriceEnv(CONFIG["n_assets"], CONFIG["window"], CONFIG["episode_len"], seed=args.seed)
state_dim = CONFIG["n_assets"] * (CONFIG["window"] + 1)
agent = DDPG(CONFIG, state_dim)

steps = 0
for ep in range(args.episodes):
    s, done, ret, losses, t0 = env.reset(), False, 0.0, [], time.time()
    while not done:
        a = agent.act(s)
        s2, r, done = env.step(a)
        agent.perceive(s, a, r * 100.0, s2)
        s, ret, steps = s2, ret + r.item(), steps + 1
        if steps > CONFIG["warmup"]:
            losses.append(agent.train_on_batch())
    print(f"episode {ep}: log return {ret:+.4f}  critic loss {sum(losses) / max(len(losses), 1):.4f}  "
          f"updates {len(losses)}  ({time.time() - t0:.1f}s)")
