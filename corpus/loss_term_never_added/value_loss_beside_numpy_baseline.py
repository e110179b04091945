"""A2C: the critic's value loss is computed and printed, never added; the baseline is a NumPy
copy of the values, a constant for the policy loss on purpose (GF036 must not touch it)."""
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2))
critic = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(list(policy.parameters()) + list(critic.parameters()), lr=3e-4)


def act(obs):
    """Rollout step: actions and value estimates as NumPy, stored in the rollout buffer."""
    dist = Categorical(logits=policy(obs))
    action = dist.sample()
    value = critic(obs).squeeze(-1)
    return action.cpu().numpy(), value.detach().cpu().numpy()


for update in range(10):
    obs = torch.randn(16, 4)
    actions, values = act(obs)
    rewards = np.random.randn(16).astype(np.float32)
    returns = torch.as_tensor(rewards)
    advantages = returns - torch.as_tensor(values)  # baseline: a constant for the policy loss
    logp = Categorical(logits=policy(obs)).log_prob(torch.as_tensor(actions))
    policy_loss = -(logp * advantages).mean()
    value_loss = ((critic(obs).squeeze(-1) - returns) ** 2).mean()
    loss = policy_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(update, policy_loss.item(), value_loss.item())
