"""Reorder quantities for a set of stores, learned with a Gaussian policy and REINFORCE.

Every simulated week each store reports its stock on hand, last week's sales and a seasonality
feature; the policy proposes an order quantity (in units of typical weekly demand). Reward is the
week's margin minus holding and stock-out costs. AdamW with a little weight decay, as the team's
other models use.
"""
import torch
from torch import nn
from torch.distributions import Normal

torch.manual_seed(11)

N_STORES = 128
WEEKS = 200
PRICE, UNIT_COST, HOLDING, STOCKOUT = 5.0, 3.0, 0.4, 2.0


class Stores:
    def __init__(self, n):
        self.n = n
        self.base = 0.5 + torch.rand(n)
        self.stock = torch.ones(n)
        self.sales = torch.ones(n)
        self.week = 0

    def observe(self):
        season = torch.full((self.n,), float(torch.sin(torch.tensor(self.week / 8.0))))
        return torch.stack([self.stock, self.sales, season, self.base], dim=-1)

    @torch.no_grad()
    def step(self, order):
        order = order.clamp(min=0.0)
        season = 1.0 + 0.3 * torch.sin(torch.tensor(self.week / 8.0))
        demand = torch.poisson(4.0 * self.base * season) / 4.0
        available = self.stock + order
        sold = torch.minimum(available, demand)
        self.stock = available - sold
        self.sales = sold
        self.week += 1
        return PRICE * sold - UNIT_COST * order - HOLDING * self.stock - STOCKOUT * (demand - sold)


class OrderPolicy(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mean = nn.Linear(hidden, 1)
        self.log_std = nn.Linear(hidden, 1)

    def forward(self, obs):
        h = self.trunk(obs)
        return Normal(self.mean(h).squeeze(-1) + 1.0, self.log_std(h).squeeze(-1).clamp(-3, 1).exp())


def train():
    stores = Stores(N_STORES)
    policy = OrderPolicy()
    value = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
    optimizer = torch.optim.AdamW(
        [
            {"params": policy.parameters(), "lr": 3e-3},
            {"params": value.parameters(), "lr": 1e-2},
        ],
        weight_decay=1e-2,
    )

    for week in range(WEEKS):
        obs = stores.observe()
        dist = policy(obs)
        order = dist.sample()
        reward = stores.step(order)

        baseline = value(obs).squeeze(-1)
        advantage = (reward - baseline).detach()
        policy_loss = -(dist.log_prob(order) * advantage).mean()
        value_loss = 0.5 * (reward - baseline).pow(2).mean()

        optimizer.zero_grad()
        (policy_loss + value_loss).backward()
        optimizer.step()

        if week % 40 == 0 or week == WEEKS - 1:
            print(f"week {week:3d}  margin/store {reward.mean().item():6.3f}  "
                  f"mean order {dist.mean.mean().item():.3f}  value loss {value_loss.item():.3f}")


if __name__ == "__main__":
    train()
