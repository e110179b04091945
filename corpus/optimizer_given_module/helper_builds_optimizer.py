import argparse

import torch as T
import torch.nn as nn
import torch.optim as O


def build_optimizer(net, lr=1e-3, alpha=0.95):
    """RMSprop, as in the A2C paper."""
    return O.RMSprop(net, lr=lr, alpha=alpha)


class PolicyNet(nn.Module):
    def __init__(self, obs=6, actions=3):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(obs, 32), nn.Tanh())
        self.logits = nn.Linear(32, actions)

    def forward(self, obs):
        return self.logits(self.trunk(obs))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    T.manual_seed(0)
    policy = PolicyNet()
    optimizer = build_optimizer(policy, lr=args.lr)
    for episode in range(4):
        obs = T.randn(20, 6)
        dist = T.distributions.Categorical(logits=policy(obs))
        actions = dist.sample()
        returns = T.randn(20)
        loss = -(dist.log_prob(actions) * returns).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(episode, loss.item())
