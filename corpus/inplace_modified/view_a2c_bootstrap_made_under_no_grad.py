"""Advantage actor-critic on a toy corridor (simulated in torch): the critic's value of the next
state is the bootstrap target, taken without gradient."""
import torch
import torch.nn as nn
from torch.distributions import Categorical


class ActorCritic(nn.Module):
    def __init__(self, obs_dim=6, actions=2):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh())
        self.pi = nn.Linear(32, actions)
        self.v = nn.Linear(32, 1)

    def forward(self, obs):
        h = self.shared(obs)
        return self.pi(h), self.v(h).squeeze(-1)


def corridor_rollout(policy, steps=16):
    pos = torch.zeros(())
    observations, actions, rewards = [], [], []
    for _ in range(steps + 1):
        obs = torch.nn.functional.one_hot(pos.long().clamp(0, 5), 6).float()
        with torch.no_grad():
            logits, _ = policy(obs)
        a = Categorical(logits=logits).sample()
        observations.append(obs)
        actions.append(a)
        pos = (pos + (1 if a.item() == 1 else -1)).clamp(0, 5)
        rewards.append(float(pos.item() == 5))
    return torch.stack(observations), torch.stack(actions), torch.tensor(rewards)


gamma = 0.95
torch.manual_seed(4)
agent = ActorCritic()
optim = torch.optim.RMSprop(agent.parameters(), lr=7e-4)
for update in range(25):
    obs, acts, rews = corridor_rollout(agent)
    logits, values = agent(obs)
    with torch.no_grad():
        bootstrap = values[1:]
    bootstrap.mul_(gamma).add_(rews[:-1])
    advantage = bootstrap - values[:-1]
    log_probs = Categorical(logits=logits[:-1]).log_prob(acts[:-1])
    loss = -(log_probs * advantage.detach()).mean() + 0.5 * advantage.pow(2).mean()
    optim.zero_grad()
    loss.backward()
    optim.step()
    if update % 5 == 0:
        print(update, loss.item())
