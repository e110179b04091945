# Reproduces: https://github.com/floodsung/DDPG/issues/14
# DDPG on a 1-D point-mass "reacher". The critic is trained on (s, a, r, s') from the
# replay buffer. The actor update evaluates the critic on the actions stored in the
# buffer batch instead of on the actor's own actions mu(s). The issue thread asks about
# exactly this choice, and the answer is that the deterministic policy gradient needs
# a = mu(s). Written with autograd, the actor is then not in the actor loss's graph at all:
# every actor parameter has grad None, Adam skips them, and the policy keeps its random
# initial weights while the critic trains and the episode return never improves.
import random
from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F

HP = {
    "episodes": 24,
    "max_steps": 40,
    "buffer_size": 20000,
    "batch_size": 64,
    "warmup": 200,
    "gamma": 0.95,
    "tau": 0.02,
    "actor_lr": 1e-3,
    "critic_lr": 2e-3,
    "noise_std": 0.3,
    "seed": 11,
}
random.seed(HP["seed"])
torch.manual_seed(HP["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class PointMass:
    """State: (position, velocity, target). Action: force in [-1, 1]."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def reset(self):
        self.pos, self.vel = self.rng.uniform(-1, 1), 0.0
        self.target = self.rng.uniform(-1, 1)
        self.t = 0
        return self._obs()

    def _obs(self):
        return torch.tensor([self.pos, self.vel, self.target], dtype=torch.float32)

    def step(self, force):
        self.vel = 0.9 * self.vel + 0.1 * force
        self.pos = max(-2.0, min(2.0, self.pos + self.vel))
        self.t += 1
        reward = -abs(self.pos - self.target) - 0.01 * force * force
        return self._obs(), reward, self.t >= HP["max_steps"]


def mlp(i, o, h=64, out_act=None):
    layers = [nn.Linear(i, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, o)]
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = mlp(4, 1)

    def forward(self, s, a):
        return self.q(torch.cat([s, a], dim=-1))


class DDPGAgent:
    def __init__(self, hp):
        self.hp = hp
        self.actor = mlp(3, 1, out_act=nn.Tanh()).to(device)
        self.critic = Critic().to(device)
        self.actor_target = mlp(3, 1, out_act=nn.Tanh()).to(device)
        self.critic_target = Critic().to(device)
        self.actor_target.load_state_dict(self.actor.state_dict())
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=hp["actor_lr"])
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=hp["critic_lr"])
        self.buffer = deque(maxlen=hp["buffer_size"])

    @torch.no_grad()
    def act(self, s, explore=True):
        a = self.actor(s.to(device)).item()
        if explore:
            a += random.gauss(0.0, self.hp["noise_std"])
        return max(-1.0, min(1.0, a))

    def remember(self, *transition):
        self.buffer.append(transition)

    def sample(self):
        batch = random.sample(self.buffer, self.hp["batch_size"])
        s, a, r, s2, d = zip(*batch)
        return (torch.stack(s).to(device), torch.tensor(a).unsqueeze(1).to(device),
                torch.tensor(r).unsqueeze(1).to(device), torch.stack(s2).to(device),
                torch.tensor(d, dtype=torch.float32).unsqueeze(1).to(device))

    def update(self):
        states, actions, rewards, next_states, dones = self.sample()
        with torch.no_grad():
            target_q = rewards + self.hp["gamma"] * (1 - dones) * self.critic_target(
                next_states, self.actor_target(next_states))
        critic_loss = F.mse_loss(self.critic(states, actions), target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        actor_loss = -self.critic(states, actions).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()

        self.soft_update(self.actor_target, self.actor)
        self.soft_update(self.critic_target, self.critic)
        return critic_loss.item(), actor_loss.item()

    @torch.no_grad()
    def soft_update(self, target, source):
        for tp, p in zip(target.parameters(), source.parameters()):
            tp.mul_(1 - self.hp["tau"]).add_(self.hp["tau"] * p)


def evaluate(agent, env, episodes=4):
    total = 0.0
    for _ in range(episodes):
        s, done = env.reset(), False
        while not done:
            s, r, done = env.step(agent.act(s, explore=False))
            total += r
    return total / episodes


agent = DDPGAgent(HP)
env, eval_env = PointMass(HP["seed"]), PointMass(HP["seed"] + 1)
steps = 0
for ep in range(HP["episodes"]):
    s, done, ep_ret, losses = env.reset(), False, 0.0, []
    while not done:
        a = agent.act(s)
        s2, r, done = env.step(a)
        agent.remember(s, a, r, s2, float(done))
        s, ep_ret, steps = s2, ep_ret + r, steps + 1
        if len(agent.buffer) >= HP["warmup"]:
            losses.append(agent.update())
    if (ep + 1) % 6 == 0:
        cl = sum(l[0] for l in losses) / max(len(losses), 1)
        print(f"episode {ep + 1}: return {ep_ret:.2f}  critic loss {cl:.4f}  eval return {evaluate(agent, eval_env):.2f}")
