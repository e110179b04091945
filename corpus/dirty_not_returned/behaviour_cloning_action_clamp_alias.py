"""Behaviour cloning of a scripted controller for a 2-D point robot (reach a goal, avoid an
obstacle). The policy's pre-tanh action means are clamped in place to the actuator range, and
the number of saturated actions is counted for tuning."""
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Setup:
    seed: int = 9
    episodes: int = 120
    horizon: int = 30
    hidden: int = 64
    action_limit: float = 1.0
    batch: int = 256
    epochs: int = 6
    lr: float = 2e-3


class SaturateActions(torch.autograd.Function):
    @staticmethod
    def forward(ctx, pre, limit, saturated):
        within = pre.abs() <= limit
        saturated.add_((~within).sum())
        out = pre.clamp_(-limit, limit)
        ctx.mark_dirty(pre, saturated)
        ctx.save_for_backward(within)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (within,) = ctx.saved_tensors
        return grad_out * within, None, None


class Policy(nn.Module):
    def __init__(self, setup: Setup):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, setup.hidden), nn.Tanh(), nn.Linear(setup.hidden, setup.hidden), nn.Tanh())
        self.mean = nn.Linear(setup.hidden, 2)
        self.limit = setup.action_limit
        self.register_buffer("saturated", torch.zeros((), dtype=torch.long))

    def forward(self, obs):
        pre = self.mean(self.body(obs))
        return torch.tanh(SaturateActions.apply(pre, self.limit, self.saturated))


def expert(pos, goal, obstacle):
    to_goal = goal - pos
    away = pos - obstacle
    dist = away.norm(dim=-1, keepdim=True)
    push = away / dist.pow(3).clamp_min(1e-3) * 0.05
    return torch.tanh(1.5 * to_goal + push)


def collect(setup: Setup):
    g = torch.Generator().manual_seed(setup.seed)
    observations, actions = [], []
    for _ in range(setup.episodes):
        pos = torch.rand(2, generator=g) * 2 - 1
        goal = torch.rand(2, generator=g) * 2 - 1
        obstacle = (pos + goal) / 2 + 0.1 * torch.randn(2, generator=g)
        for _ in range(setup.horizon):
            act = expert(pos, goal, obstacle)
            observations.append(torch.cat([pos, goal, obstacle]))
            actions.append(act)
            pos = pos + 0.1 * act
    return torch.stack(observations), torch.stack(actions)


def main():
    setup = Setup()
    torch.manual_seed(setup.seed)
    obs, acts = collect(setup)
    n_train = int(0.9 * len(obs))
    policy = Policy(setup)
    optimizer = torch.optim.Adam(policy.parameters(), lr=setup.lr)

    with torch.no_grad():
        print(f"held-out action MSE before: {nn.functional.mse_loss(policy(obs[n_train:]), acts[n_train:]).item():.4f}")

    for epoch in range(setup.epochs):
        perm = torch.randperm(n_train)
        for i in range(0, n_train, setup.batch):
            idx = perm[i:i + setup.batch]
            loss = nn.functional.mse_loss(policy(obs[idx]), acts[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            val = nn.functional.mse_loss(policy(obs[n_train:]), acts[n_train:]).item()
        print(f"epoch {epoch}: train {loss.item():.4f}  held-out {val:.4f}  saturated so far {int(policy.saturated)}")


if __name__ == "__main__":
    main()
