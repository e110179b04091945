"""DDPG agent (JORLDY-style agent/network/buffer split) on a small continuous-control task.

Config mirrors configs/<env>/ddpg.py: agent dict + optim dict + train dict.
"""
import math
import random
from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)

agent_config = {"name": "ddpg", "hidden_size": 32, "gamma": 0.99, "buffer_size": 2000, "batch_size": 16,
                "start_train_step": 40, "tau": 5e-3, "mu": 0, "theta": 1e-3, "sigma": 2e-3}
optim_config = {"actor": "adam", "critic": "adam", "actor_lr": 5e-4, "critic_lr": 1e-3}
train_config = {"run_step": 100, "print_period": 25, "device": None}


class Network(nn.Module):
    """'ddpg_actor' / 'ddpg_critic' networks with an 'mlp' head."""

    def __init__(self, name, D_in, D_out, D_hidden=512, head="mlp"):
        super().__init__()
        self.name = name
        in_dim = D_in + (D_out if name == "ddpg_critic" else 0)
        self.head = nn.Sequential(nn.Linear(in_dim, D_hidden), nn.ReLU(), nn.Linear(D_hidden, D_hidden), nn.ReLU())
        self.out = nn.Linear(D_hidden, 1 if name == "ddpg_critic" else D_out)

    def forward(self, x, a=None):
        if self.name == "ddpg_critic":
            return self.out(self.head(torch.cat([x, a], dim=-1)))
        return torch.tanh(self.out(self.head(x)))


def Optimizer(name, parameters, lr):
    return {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[name](parameters, lr=lr)


class ReplayBuffer:
    def __init__(self, buffer_size):
        self.buffer = deque(maxlen=buffer_size)

    def store(self, transitions):
        self.buffer.extend(transitions)

    def sample(self, batch_size):
        batch = random.sample(self.buffer, batch_size)
        return {k: torch.stack([torch.as_tensor(b[k], dtype=torch.float32) for b in batch]) for k in batch[0]}

    @property
    def size(self):
        return len(self.buffer)


class OU_Noise:
    def __init__(self, action_size, mu, theta, sigma):
        self.mu, self.theta, self.sigma = torch.full((action_size,), float(mu)), theta, sigma
        self.X = self.mu.clone()

    def sample(self):
        self.X = self.X + self.theta * (self.mu - self.X) + self.sigma * torch.randn_like(self.X)
        return self.X


class DDPG:
    def __init__(self, state_size, action_size, hidden_size=512, actor="ddpg_actor", critic="ddpg_critic",
                 head="mlp", optim_config=None, gamma=0.99, buffer_size=50000, batch_size=128,
                 start_train_step=2000, tau=1e-3, run_step=1e6, mu=0, theta=1e-3, sigma=2e-3, device=None, **kwargs):
        self.device = torch.device(device) if device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.actor = Network(actor, state_size, action_size, D_hidden=hidden_size, head=head).to(self.device)
        self.critic = Network(critic, state_size, action_size, D_hidden=hidden_size, head=head).to(self.device)
        self.target_actor = Network(actor, state_size, action_size, D_hidden=hidden_size, head=head).to(self.device)
        self.target_actor.load_state_dict(self.actor.state_dict())
        self.target_critic = Network(critic, state_size, action_size, D_hidden=hidden_size, head=head).to(self.device)
        self.target_critic.load_state_dict(self.critic.state_dict())
        self.actor_optimizer = Optimizer(optim_config["actor"], self.actor.parameters(), lr=optim_config["actor_lr"])
        self.critic_optimizer = Optimizer(optim_config["critic"], self.critic.parameters(), lr=optim_config["critic_lr"])
        self.actor_lr, self.critic_lr = optim_config["actor_lr"], optim_config["critic_lr"]
        self.OU = OU_Noise(action_size, mu, theta, sigma)
        self.gamma, self.tau = gamma, tau
        self.memory = ReplayBuffer(buffer_size)
        self.batch_size, self.start_train_step = batch_size, start_train_step
        self.num_learn, self.run_step = 0, run_step

    def as_tensor(self, x):
        return torch.as_tensor(x, dtype=torch.float32, device=self.device)

    @torch.no_grad()
    def act(self, state, training=True):
        self.actor.train(training)
        mu = self.actor(self.as_tensor(state)).cpu()
        return {"action": (mu + self.OU.sample()).clamp(-1, 1) if training else mu}

    def learn(self, step):
        transitions = {k: v.to(self.device) for k, v in self.memory.sample(self.batch_size).items()}
        state, action, reward = transitions["state"], transitions["action"], transitions["reward"]
        next_state, done = transitions["next_state"], transitions["done"]

        # Critic Update
        with torch.no_grad():
            next_actions = self.target_actor(next_state)
            next_q = self.target_critic(next_state, next_actions)
            target_q = reward + (1 - done) * self.gamma * next_q
        q = self.critic(state, action)
        critic_loss = F.mse_loss(target_q, q)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()

        # Actor Update
        action_pred = self.actor(state)
        actor_loss = -self.critic(state, action_pred).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()

        self.learning_rate_decay(step)
        self.num_learn += 1
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(), "max_Q": target_q.max().item()}

    def update_target_soft(self):
        for t_p, p in zip(self.target_critic.parameters(), self.critic.parameters()):
            t_p.data.copy_(self.tau * p.data + (1 - self.tau) * t_p.data)
        for t_p, p in zip(self.target_actor.parameters(), self.actor.parameters()):
            t_p.data.copy_(self.tau * p.data + (1 - self.tau) * t_p.data)

    def process(self, transitions, step):
        result = {}
        self.memory.store(transitions)
        if self.memory.size >= self.batch_size and step >= self.start_train_step:
            result = self.learn(step)
        if self.num_learn > 0:
            self.update_target_soft()
        return result

    def learning_rate_decay(self, step):
        weight = math.cos((math.pi / 2) * (step / self.run_step))
        for g in self.actor_optimizer.param_groups:
            g["lr"] = self.actor_lr * weight
        for g in self.critic_optimizer.param_groups:
            g["lr"] = self.critic_lr * weight


class PointMass:
    """Drive a 1-D point mass to a target; state = (position, velocity, target)."""

    def reset(self):
        self.pos, self.vel, self.target, self.t = random.uniform(-1, 1), 0.0, random.uniform(-1, 1), 0
        return [self.pos, self.vel, self.target]

    def step(self, action):
        self.vel = 0.9 * self.vel + 0.1 * float(action[0])
        self.pos += self.vel
        self.t += 1
        reward = -abs(self.pos - self.target)
        return [self.pos, self.vel, self.target], [reward], [float(self.t >= 20)]


env = PointMass()
agent = DDPG(state_size=3, action_size=1, optim_config=optim_config, run_step=train_config["run_step"],
             device=train_config["device"], **agent_config)
state = env.reset()
for step in range(1, train_config["run_step"] + 1):
    action = agent.act([state])["action"][0]
    next_state, reward, done = env.step(action)
    result = agent.process([{"state": state, "action": action.tolist(), "reward": reward,
                             "next_state": next_state, "done": done}], step)
    state = env.reset() if done[0] else next_state
    if step % train_config["print_period"] == 0 and result:
        print(f"step {step}: " + ", ".join(f"{k}={v:.4f}" for k, v in result.items()))
