"""Advantage actor-critic on a toy bandit-with-context task: one trunk, two heads, two optimizers.

The critic's optimizer owns the trunk; the actor's optimizer owns the policy head.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

OBS, ACTIONS = 6, 3


class Trunk(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(OBS, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())

    def forward(self, obs):
        return self.body(obs)


def rollout(n):
    obs = torch.randn(n, OBS)
    best = obs[:, :ACTIONS].argmax(1)
    return obs, best


def main():
    torch.manual_seed(3)
    trunk = Trunk()
    actor = nn.Linear(32, ACTIONS)
    critic = nn.Linear(32, 1)
    critic_opt = torch.optim.RMSprop(list(trunk.parameters()) + list(critic.parameters()), lr=3e-3)
    actor_opt = torch.optim.RMSprop(actor.parameters(), lr=3e-3)

    for update in range(60):
        obs, best = rollout(64)
        feats = trunk(obs)
        values = critic(feats).squeeze(-1)
        dist = Categorical(logits=actor(feats))
        actions = dist.sample()
        returns = (actions == best).float()
        advantages = returns - values.detach()
        critic_loss = F.mse_loss(values, returns)
        actor_loss = -(dist.log_prob(actions) * advantages).mean()

        critic_opt.zero_grad()
        critic_loss.backward(retain_graph=True)
        critic_opt.step()

        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()

        if update % 20 == 0:
            print(f"update {update:2d}  reward {returns.mean():.2f}  critic {critic_loss.item():.3f}")


if __name__ == "__main__":
    main()
