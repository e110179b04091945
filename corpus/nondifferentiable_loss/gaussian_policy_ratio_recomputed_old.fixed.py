"""PPO with a Gaussian policy on a one-step continuous bandit."""
import torch
from torch import nn
from torch.distributions import Normal


class GaussianPolicy(nn.Module):
    def __init__(self, obs=4, act=2):
        super().__init__()
        self.mean = nn.Sequential(nn.Linear(obs, 32), nn.Tanh(), nn.Linear(32, act))
        self.log_std = nn.Parameter(torch.zeros(act))

    def dist(self, obs):
        return Normal(self.mean(obs), self.log_std.exp())


def reward_of(obs, action):
    return -((action - obs[:, :2]) ** 2).sum(-1)


def ppo_update(policy, optimizer, obs, actions, advantages, clip=0.2, epochs=4):
    for _ in range(epochs):
        old_log_prob = policy.dist(obs).log_prob(actions).sum(-1)
        log_prob = policy.dist(obs).log_prob(actions).sum(-1)
        ratio = torch.exp(log_prob - old_log_prob.detach())
        clipped = torch.clamp(ratio, 1 - clip, 1 + clip)
        loss = -torch.min(ratio * advantages, clipped * advantages).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main():
    torch.manual_seed(0)
    policy = GaussianPolicy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3)
    for iteration in range(5):
        obs = torch.randn(128, 4)
        with torch.no_grad():
            actions = policy.dist(obs).sample()
        rewards = reward_of(obs, actions)
        advantages = (rewards - rewards.mean()) / (rewards.std() + 1e-8)
        ppo_update(policy, optimizer, obs, actions, advantages)
        print(f"iteration {iteration}: mean reward {rewards.mean().item():.3f}")


if __name__ == "__main__":
    main()
