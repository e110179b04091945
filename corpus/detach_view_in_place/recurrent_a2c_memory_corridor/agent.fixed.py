"""Recurrent actor-critic: a GRU policy with separate actor and critic heads, and the n-step
advantage actor-critic update over rollouts that carry the policy's memory across their borders."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical


class RecurrentPolicy(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh())
        self.core = nn.GRU(hidden, hidden)
        self.actor = nn.Linear(hidden, n_actions)
        self.critic = nn.Linear(hidden, 1)
        self.hidden = hidden

    def initial_state(self, n_envs):
        return torch.zeros(1, n_envs, self.hidden)

    def forward(self, obs, hx):
        z = self.encoder(obs).unsqueeze(0)
        out, hx = self.core(z, hx)
        out = out.squeeze(0)
        return self.actor(out), self.critic(out).squeeze(-1), hx


def discounted_returns(rewards, dones, bootstrap, gamma):
    returns = torch.zeros_like(rewards)
    running = bootstrap
    for t in reversed(range(rewards.shape[0])):
        running = rewards[t] + gamma * running * (1.0 - dones[t])
        returns[t] = running
    return returns


def rollout_and_update(policy, optimizer, env, obs, hx, cfg):
    """Collect cfg.n_steps transitions from every environment, then take one A2C step."""
    hx = hx.detach() if isinstance(hx, torch.Tensor) else tuple(h.detach() for h in hx)
    log_probs, values, entropies, rewards, dones = [], [], [], [], []
    for _ in range(cfg.n_steps):
        logits, value, hx = policy(obs, hx)
        dist = Categorical(logits=logits)
        action = dist.sample()
        obs, reward, done = env.step(action)
        hx = hx * (1.0 - done).view(1, -1, 1)
        log_probs.append(dist.log_prob(action))
        values.append(value)
        entropies.append(dist.entropy())
        rewards.append(reward)
        dones.append(done)

    with torch.no_grad():
        _, bootstrap, _ = policy(obs, hx)
    returns = discounted_returns(torch.stack(rewards), torch.stack(dones), bootstrap, cfg.gamma)
    values = torch.stack(values)
    advantages = returns - values
    policy_loss = -(torch.stack(log_probs) * advantages.detach()).mean()
    value_loss = F.mse_loss(values, returns)
    entropy = torch.stack(entropies).mean()
    loss = policy_loss + cfg.value_coef * value_loss - cfg.entropy_coef * entropy

    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
    optimizer.step()
    return obs, hx, loss.item(), torch.stack(rewards).sum().item()
