"""Steer a point mass to a goal through a differentiable simulator (analytic policy gradients)."""
import torch
import torch.distributions as D
import torch.nn as nn

HORIZON = 12
DT = 0.1


class GaussianPolicy(nn.Module):
    def __init__(self, obs_dim=4, act_dim=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, 64), nn.ReLU(), nn.Linear(64, act_dim))
        self.log_std = nn.Parameter(torch.full((act_dim,), -1.0))

    def act(self, obs):
        mean = torch.tanh(self.body(obs))
        dist = D.Independent(D.Normal(mean, self.log_std.exp()), 1)
        return dist.sample()


def rollout(policy, start, goal):
    pos, vel = start, torch.zeros_like(start)
    cost = 0.0
    for _ in range(HORIZON):
        force = policy.act(torch.cat([pos - goal, vel], dim=1))
        vel = vel + DT * force
        pos = pos + DT * vel
        cost = cost + ((pos - goal) ** 2).sum(1).mean() + 1e-3 * (force ** 2).sum(1).mean()
    return cost / HORIZON


if __name__ == "__main__":
    torch.manual_seed(0)
    policy = GaussianPolicy()
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    for it in range(30):
        start = torch.randn(64, 2)
        goal = torch.randn(64, 2)
        loss = rollout(policy, start, goal)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 10 == 0:
            print(f"iter {it}: cost {loss.item():.3f}")
