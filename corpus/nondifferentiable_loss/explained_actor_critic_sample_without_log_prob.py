"""Contextual bandit with an actor and a critic (one-step actor-critic)."""
import torch
import torch.nn as nn
from torch.distributions import Categorical

N_ARMS = 5


class Actor(nn.Module):
    def __init__(self, obs_dim=8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh(), nn.Linear(32, N_ARMS))

    def forward(self, obs):
        return Categorical(logits=self.net(obs))


def pull(obs, arms):
    """Reward of each arm: arm k pays well when feature k is large."""
    return obs.gather(1, arms.unsqueeze(1)).squeeze(1) + 0.1 * torch.randn(len(arms))


torch.manual_seed(0)
actor = Actor()
critic = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam([*actor.parameters(), *critic.parameters()], lr=3e-3)
for step in range(200):
    obs = torch.randn(64, 8)
    arms = actor(obs).sample()
    reward = pull(obs, arms)
    value = critic(obs).squeeze(1)
    with torch.no_grad():
        advantage = reward - value
    actor_loss = -(advantage * arms.float()).mean()
    critic_loss = (reward - value).pow(2).mean()
    loss = actor_loss + 0.5 * critic_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step}: reward {reward.mean().item():.3f}")
