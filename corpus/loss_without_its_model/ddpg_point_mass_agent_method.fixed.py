# DDPG on a one-dimensional point mass that must be pushed to a goal position. A replay buffer of
# random pushes is filled first; the agent's update() method then fits the critic to one-step
# temporal-difference targets and moves the actor towards the actions the critic scores highest.
import copy

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
STATE, ACTION = 3, 1  # position, velocity, goal; one force


def step(states, actions):
    pos, vel, goal = states.unbind(-1)
    vel = 0.9 * vel + 0.1 * actions.squeeze(-1)
    pos = pos + 0.1 * vel
    rewards = -(pos - goal) ** 2 - 0.01 * actions.squeeze(-1) ** 2
    return torch.stack([pos, vel, goal], -1), rewards.unsqueeze(-1)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(STATE + ACTION, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, states, actions):
        return self.net(torch.cat([states, actions], -1))


class DDPGAgent:
    def __init__(self, gamma=0.95, tau=0.01):
        self.actor = nn.Sequential(nn.Linear(STATE, 64), nn.ReLU(), nn.Linear(64, ACTION), nn.Tanh())
        self.critic = Critic()
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.gamma, self.tau = gamma, tau

    def update(self, states, actions, rewards, next_states):
        with torch.no_grad():
            target_q = rewards + self.gamma * self.critic_target(next_states, self.actor_target(next_states))
        critic_loss = F.mse_loss(self.critic(states, actions), target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        actor_loss = -self.critic(states, self.actor(states)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()

        with torch.no_grad():
            for net, target in ((self.actor, self.actor_target), (self.critic, self.critic_target)):
                for p, p_target in zip(net.parameters(), target.parameters()):
                    p_target.lerp_(p, self.tau)
        return critic_loss.item(), actor_loss.item()


buffer_states = torch.randn(2000, STATE)
buffer_actions = torch.rand(2000, ACTION) * 2 - 1
buffer_next, buffer_rewards = step(buffer_states, buffer_actions)

agent = DDPGAgent()
for it in range(200):
    idx = torch.randint(0, 2000, (64,))
    c_loss, a_loss = agent.update(buffer_states[idx], buffer_actions[idx], buffer_rewards[idx], buffer_next[idx])
    if it % 100 == 0:
        print(f"iter {it}: critic {c_loss:.4f} actor {a_loss:.4f}")
