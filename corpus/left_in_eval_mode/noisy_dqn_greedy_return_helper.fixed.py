"""A NoisyNet Q-network on a synthetic contextual bandit. Every few updates a helper measures the
greedy return with the noise off (net.eval()), and returns it; the updates that follow run in
evaluation mode, where NoisyLinear uses its means only."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class NoisyLinear(nn.Module):
    def __init__(self, n_in, n_out, sigma0=0.5):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight_mu = nn.Parameter(torch.empty(n_out, n_in).uniform_(-bound, bound))
        self.weight_sigma = nn.Parameter(torch.full((n_out, n_in), sigma0 * bound))
        self.bias_mu = nn.Parameter(torch.empty(n_out).uniform_(-bound, bound))
        self.bias_sigma = nn.Parameter(torch.full((n_out,), sigma0 * bound))

    def forward(self, x):
        if self.training:
            weight = self.weight_mu + self.weight_sigma * torch.randn_like(self.weight_sigma)
            bias = self.bias_mu + self.bias_sigma * torch.randn_like(self.bias_sigma)
            return F.linear(x, weight, bias)
        return F.linear(x, self.weight_mu, self.bias_mu)


q_net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), NoisyLinear(32, 32), nn.ReLU(), NoisyLinear(32, 4))
optimizer = torch.optim.Adam(q_net.parameters(), lr=1e-3)
arm_weights = torch.randn(6, 4)


def reward(states, actions):
    return (states @ arm_weights).gather(1, actions[:, None]).squeeze(1) + 0.1 * torch.randn(len(states))


def greedy_return(net, episodes=64):
    net.eval()
    with torch.no_grad():
        states = torch.randn(episodes, 6)
        actions = net(states).argmax(dim=1)
        total = reward(states, actions).mean().item()
    net.train()
    return total


for update in range(60):
    if update % 20 == 0:
        print(f"update {update} greedy return {greedy_return(q_net):.3f}")
    states = torch.randn(32, 6)
    with torch.no_grad():
        actions = q_net(states).argmax(dim=1)
    rewards = reward(states, actions)
    q_taken = q_net(states).gather(1, actions[:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q_taken, rewards)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
