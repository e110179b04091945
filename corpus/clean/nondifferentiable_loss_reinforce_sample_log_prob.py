"""REINFORCE on a contextual bandit: the sampled arm carries no gradient, its log-probability does."""
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 4))
baseline = nn.Parameter(torch.zeros(()))
optimizer = torch.optim.Adam([*policy.parameters(), baseline], lr=5e-3)

for episode in range(150):
    context = torch.randn(128, 6)
    dist = Categorical(logits=policy(context))
    arm = dist.sample()
    reward = (context[:, :4].gather(1, arm.unsqueeze(1)).squeeze(1) > 0.5).float()
    advantage = reward - baseline
    policy_loss = -(dist.log_prob(arm) * advantage.detach()).mean()
    baseline_loss = advantage.pow(2).mean()
    entropy = dist.entropy().mean()
    loss = policy_loss + baseline_loss - 1e-3 * entropy
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if episode % 50 == 0:
        print(f"episode {episode}: mean reward {reward.mean().item():.3f}")
