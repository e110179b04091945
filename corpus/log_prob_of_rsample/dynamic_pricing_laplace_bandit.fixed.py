"""Contextual dynamic pricing: a Laplace pricing policy learns a markup per shopper.

Each round a batch of shoppers arrives with a feature vector (basket size, loyalty tier, hour,
device, ...). The agent quotes a log-markup over the unit cost and a shopper buys when the markup
is under a hidden willingness to pay. Margin on the sales is the reward; the policy learns it with
REINFORCE against a learned baseline, the way the pricing team's offline simulator runs it.
"""
import random
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Laplace


@dataclass
class PricingConfig:
    n_features: int = 6
    hidden: int = 32
    batch_size: int = 256
    rounds: int = 250
    policy_lr: float = 3e-3
    baseline_lr: float = 1e-2
    entropy_coef: float = 1e-3
    unit_cost: float = 4.0
    seed: int = 7


class ShopperSimulator:
    """Willingness to pay (as a markup over cost) is log-normal around a level set by the context."""

    def __init__(self, cfg: PricingConfig, gen: torch.Generator):
        self.cfg = cfg
        self.gen = gen
        self.w_true = 0.4 * torch.randn(cfg.n_features, generator=gen)

    def arrivals(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch_size, self.cfg.n_features, generator=self.gen)

    @torch.no_grad()
    def respond(self, context: torch.Tensor, log_markup: torch.Tensor) -> torch.Tensor:
        noise = 0.25 * torch.randn(context.shape[0], generator=self.gen)
        wtp = torch.exp(-0.7 + context @ self.w_true + noise)
        markup = torch.exp(log_markup)
        bought = (markup <= wtp).float()
        return bought * markup * self.cfg.unit_cost


class PricingPolicy(nn.Module):
    def __init__(self, n_features: int, hidden: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
        )
        self.loc_head = nn.Linear(hidden, 1)
        self.scale_head = nn.Linear(hidden, 1)

    def forward(self, context: torch.Tensor) -> Laplace:
        h = self.body(context)
        loc = self.loc_head(h).squeeze(-1) - 1.0
        scale = F.softplus(self.scale_head(h)).squeeze(-1) + 1e-3
        return Laplace(loc, scale)


class PricingAgent:
    def __init__(self, cfg: PricingConfig):
        self.cfg = cfg
        self.policy = PricingPolicy(cfg.n_features, cfg.hidden)
        self.baseline = nn.Sequential(nn.Linear(cfg.n_features, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, 1))
        self.policy_opt = torch.optim.Adam(self.policy.parameters(), lr=cfg.policy_lr)
        self.baseline_opt = torch.optim.Adam(self.baseline.parameters(), lr=cfg.baseline_lr)

    def act_and_learn(self, sim: ShopperSimulator, context: torch.Tensor) -> dict:
        dist = self.policy(context)
        log_markup = dist.sample()
        revenue = sim.respond(context, log_markup)

        expected = self.baseline(context).squeeze(-1)
        advantage = revenue - expected.detach()
        policy_loss = -(dist.log_prob(log_markup) * advantage).mean() - self.cfg.entropy_coef * dist.entropy().mean()
        baseline_loss = F.mse_loss(expected, revenue)

        self.policy_opt.zero_grad()
        policy_loss.backward()
        self.policy_opt.step()

        self.baseline_opt.zero_grad()
        baseline_loss.backward()
        self.baseline_opt.step()
        return {
            "revenue": revenue.mean().item(),
            "markup": torch.exp(dist.mean).mean().item(),
            "baseline_mse": baseline_loss.item(),
        }


def main() -> None:
    cfg = PricingConfig()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    sim = ShopperSimulator(cfg, gen)
    agent = PricingAgent(cfg)
    history = []
    for rnd in range(1, cfg.rounds + 1):
        stats = agent.act_and_learn(sim, sim.arrivals())
        history.append(stats["revenue"])
        if rnd % 50 == 0:
            recent = sum(history[-50:]) / 50
            print(
                f"round {rnd:4d}  revenue/shopper {recent:.3f}  "
                f"mean markup {stats['markup']:.3f}  baseline mse {stats['baseline_mse']:.3f}"
            )
    print(f"final revenue per shopper: {sum(history[-50:]) / 50:.3f} (first 50 rounds: {sum(history[:50]) / 50:.3f})")


if __name__ == "__main__":
    main()
