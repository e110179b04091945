"""TD3 (Fujimoto et al. 2018, reference TD3.py layout): twin critics, target policy smoothing, delayed
actor updates, and deep-copied target networks that only move through Polyak averaging."""
import copy
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Actor(nn.Module):
    def __init__(self, state_dim, action_dim, max_action):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(state_dim, 32), nn.Linear(32, 32), nn.Linear(32, action_dim)
        self.max_action = max_action

    def forward(self, state):
        a = F.relu(self.l2(F.relu(self.l1(state))))
        return self.max_action * torch.tanh(self.l3(a))


class Critic(nn.Module):
    def __init__(self, state_dim, action_dim):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(state_dim + action_dim, 32), nn.Linear(32, 32), nn.Linear(32, 1)
        self.l4, self.l5, self.l6 = nn.Linear(state_dim + action_dim, 32), nn.Linear(32, 32), nn.Linear(32, 1)

    def forward(self, state, action):
        sa = torch.cat([state, action], 1)
        q1 = self.l3(F.relu(self.l2(F.relu(self.l1(sa)))))
        q2 = self.l6(F.relu(self.l5(F.relu(self.l4(sa)))))
        return q1, q2

    def Q1(self, state, action):
        sa = torch.cat([state, action], 1)
        return self.l3(F.relu(self.l2(F.relu(self.l1(sa)))))


class TD3(object):
    def __init__(self, state_dim, action_dim, max_action, discount=0.99, tau=0.005, policy_noise=0.2,
                 noise_clip=0.5, policy_freq=2):
        self.actor = Actor(state_dim, action_dim, max_action).to(device)
        self.actor_target = copy.deepcopy(self.actor)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critic = Critic(state_dim, action_dim).to(device)
        self.critic_target = copy.deepcopy(self.critic)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=3e-4)
        self.max_action, self.discount, self.tau = max_action, discount, tau
        self.policy_noise, self.noise_clip, self.policy_freq = policy_noise, noise_clip, policy_freq
        self.total_it = 0

    def select_action(self, state):
        state = torch.FloatTensor(state).reshape(1, -1).to(device)
        return self.actor(state).cpu().data.flatten()

    def train(self, replay_buffer, batch_size=256):
        self.total_it += 1
        state, action, next_state, reward, not_done = replay_buffer.sample(batch_size)
        with torch.no_grad():
            noise = (torch.randn_like(action) * self.policy_noise).clamp(-self.noise_clip, self.noise_clip)
            next_action = (self.actor_target(next_state) + noise).clamp(-self.max_action, self.max_action)
            target_Q1, target_Q2 = self.critic_target(next_state, next_action)
            target_Q = reward + not_done * self.discount * torch.min(target_Q1, target_Q2)
        current_Q1, current_Q2 = self.critic(state, action)
        critic_loss = F.mse_loss(current_Q1, target_Q) + F.mse_loss(current_Q2, target_Q)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()

        # Delayed policy updates
        if self.total_it % self.policy_freq == 0:
            actor_loss = -self.critic.Q1(state, self.actor(state)).mean()
            self.actor_optimizer.zero_grad()
            actor_loss.backward()
            self.actor_optimizer.step()
            for param, target_param in zip(self.critic.parameters(), self.critic_target.parameters()):
                target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)
            for param, target_param in zip(self.actor.parameters(), self.actor_target.parameters()):
                target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)
        return critic_loss.item()


class ReplayBuffer(object):
    def __init__(self, state_dim, action_dim, max_size=int(1e4)):
        self.max_size, self.ptr, self.size = max_size, 0, 0
        self.state, self.action = torch.zeros(max_size, state_dim), torch.zeros(max_size, action_dim)
        self.next_state, self.reward = torch.zeros(max_size, state_dim), torch.zeros(max_size, 1)
        self.not_done = torch.zeros(max_size, 1)

    def add(self, state, action, next_state, reward, done):
        i = self.ptr
        self.state[i], self.action[i], self.next_state[i] = torch.tensor(state), action, torch.tensor(next_state)
        self.reward[i], self.not_done[i] = reward, 1. - done
        self.ptr, self.size = (self.ptr + 1) % self.max_size, min(self.size + 1, self.max_size)

    def sample(self, batch_size):
        ind = torch.randint(0, self.size, (batch_size,))
        return tuple(t[ind].to(device) for t in (self.state, self.action, self.next_state, self.reward, self.not_done))


class Reacher1D:
    def reset(self):
        self.pos, self.vel, self.goal, self.t = random.uniform(-1, 1), 0.0, random.uniform(-1, 1), 0
        return [self.pos, self.vel, self.goal]

    def step(self, a):
        self.vel = 0.9 * self.vel + 0.1 * float(a[0])
        self.pos, self.t = self.pos + self.vel, self.t + 1
        return [self.pos, self.vel, self.goal], -abs(self.pos - self.goal), float(self.t >= 25)


env, start_timesteps, max_timesteps, expl_noise = Reacher1D(), 32, 80, 0.1
policy = TD3(state_dim=3, action_dim=1, max_action=1.0)
replay_buffer = ReplayBuffer(3, 1)
state = env.reset()
for t in range(max_timesteps):
    if t < start_timesteps:
        action = torch.rand(1) * 2 - 1
    else:
        action = (policy.select_action(state) + torch.randn(1) * expl_noise).clamp(-1, 1)
    next_state, reward, done = env.step(action)
    replay_buffer.add(state, action, next_state, reward, done)
    state = env.reset() if done else next_state
    if t >= start_timesteps:
        critic_loss = policy.train(replay_buffer, batch_size=32)
        if t % 16 == 0:
            print(f"t={t}: critic loss {critic_loss:.4f}")
