# Correct actor-critic: evaluate() returns NumPy copies of the critic's values, and the caller
# re-wraps them with its to_tensor helper, but only to build advantages, which are meant to be
# constants; the loss itself uses the live log-probabilities and values.
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Categorical


def to_tensor(x):
    return torch.as_tensor(np.asarray(x, dtype="float32"))


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 32), nn.Tanh())
        self.actor = nn.Linear(32, 3)
        self.critic = nn.Linear(32, 1)

    def forward(self, obs):
        h = self.body(obs)
        return Categorical(logits=self.actor(h)), self.critic(h).squeeze(-1)


def value_estimates(model, obs):
    _, values = model(obs)
    return values.detach().cpu().numpy()


torch.manual_seed(0)
rng = np.random.RandomState(0)
model = ActorCritic()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for update in range(5):
    obs = torch.randn(32, 6)
    rewards = rng.rand(32).astype("float32")
    old_values = value_estimates(model, obs)
    advantages = to_tensor(rewards - old_values)
    dist, values = model(obs)
    actions = dist.sample()
    policy_loss = -(dist.log_prob(actions) * advantages).mean()
    value_loss = (values - to_tensor(rewards)).pow(2).mean()
    optimizer.zero_grad()
    (policy_loss + 0.5 * value_loss).backward()
    optimizer.step()
    print(update, float(policy_loss), float(np.mean(old_values)))
