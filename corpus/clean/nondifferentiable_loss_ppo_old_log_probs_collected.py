"""PPO with the old log-probabilities collected once per rollout, before the update epochs: at the
first epoch the ratio is exactly 1, and its gradient is the policy gradient."""
import torch
from torch import nn
from torch.distributions import Categorical


def main():
    torch.manual_seed(0)
    actor = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2))
    critic = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
    optimizer = torch.optim.Adam([*actor.parameters(), *critic.parameters()], lr=3e-3)
    for iteration in range(4):
        obs = torch.randn(128, 4)
        dist = Categorical(logits=actor(obs))
        actions = dist.sample()
        old_log_probs = dist.log_prob(actions).detach()
        returns = (actions == (obs[:, 0] > 0).long()).float()
        for epoch in range(4):
            log_probs = Categorical(logits=actor(obs)).log_prob(actions)
            values = critic(obs).squeeze(-1)
            advantages = (returns - values).detach()
            ratio = (log_probs - old_log_probs).exp()
            policy_loss = -torch.min(ratio * advantages, ratio.clamp(0.8, 1.2) * advantages).mean()
            loss = policy_loss + 0.5 * (returns - values).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"iteration {iteration}: return {returns.mean().item():.2f}")


if __name__ == "__main__":
    main()
