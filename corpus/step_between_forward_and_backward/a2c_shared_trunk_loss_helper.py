"""Advantage actor-critic on a toy 4-armed contextual bandit: one trunk feeds the policy and the
value heads; a helper builds both losses and another applies them, the value head first."""
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)
N_CONTEXT, N_ARMS = 5, 4
PAYOFF = torch.randn(N_CONTEXT, N_ARMS)


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(N_CONTEXT, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh())
        self.policy = nn.Linear(32, N_ARMS)
        self.value = nn.Linear(32, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.policy(h), self.value(h).squeeze(-1)


net = ActorCritic()
value_opt = torch.optim.Adam(list(net.trunk.parameters()) + list(net.value.parameters()), lr=3e-3)
policy_opt = torch.optim.Adam(net.policy.parameters(), lr=3e-3)


def a2c_losses(contexts):
    logits, values = net(contexts)
    dist = Categorical(logits=logits)
    arms = dist.sample()
    rewards = PAYOFF[contexts.argmax(1), arms] + 0.1 * torch.randn(len(arms))
    advantages = rewards - values.detach()
    policy_loss = -(dist.log_prob(arms) * advantages).mean() - 0.01 * dist.entropy().mean()
    value_loss = (rewards - values).pow(2).mean()
    return policy_loss, value_loss, rewards.mean()


def a2c_update(policy_loss, value_loss):
    value_opt.zero_grad()
    value_loss.backward(retain_graph=True)
    value_opt.step()
    policy_opt.zero_grad()
    policy_loss.backward()
    policy_opt.step()


for it in range(200):
    contexts = torch.eye(N_CONTEXT)[torch.randint(0, N_CONTEXT, (32,))]
    policy_loss, value_loss, reward = a2c_losses(contexts)
    a2c_update(policy_loss, value_loss)
    if it % 50 == 0:
        print(f"it {it}: reward {reward.item():.3f} value loss {value_loss.item():.3f}")
