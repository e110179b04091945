"""Daily irrigation amounts for a set of fields, learned with REINFORCE against a critic.

Soil moisture follows a bucket model (evapotranspiration, rain, drainage above field capacity);
crop stress accrues when moisture falls below the wilting threshold. The policy picks the day's
irrigation depth per field from moisture, forecast rain and temperature. Written with type hints
throughout, as the rest of the agronomy codebase is.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.distributions import Normal

N_FIELDS: int = 64
SEASON_DAYS: int = 60
SEASONS: int = 12
WATER_PRICE: float = 0.02


class Weather(NamedTuple):
    rain: Tensor
    temp: Tensor


class SoilBucket:
    def __init__(self, n: int, gen: torch.Generator) -> None:
        self.gen = gen
        self.capacity: Tensor = 80.0 + 40.0 * torch.rand(n, generator=gen)
        self.moisture: Tensor = 0.6 * self.capacity

    def weather(self) -> Weather:
        rain = torch.where(torch.rand(self.capacity.shape, generator=self.gen) < 0.2,
                           torch.rand(self.capacity.shape, generator=self.gen) * 20.0,
                           torch.zeros_like(self.capacity))
        temp = 22.0 + 8.0 * torch.rand(self.capacity.shape, generator=self.gen)
        return Weather(rain, temp)

    def observe(self, forecast: Weather) -> Tensor:
        return torch.stack([self.moisture / self.capacity, forecast.rain / 20.0, (forecast.temp - 26.0) / 4.0], -1)

    @torch.no_grad()
    def advance(self, depth: Tensor, weather: Weather) -> Tensor:
        water = depth.clamp(0.0, 30.0)
        et = 0.25 * weather.temp
        self.moisture = (self.moisture + water + weather.rain - et).clamp(min=0.0)
        self.moisture = torch.minimum(self.moisture, self.capacity)
        stress = (0.4 * self.capacity - self.moisture).clamp(min=0.0) / self.capacity
        return -(10.0 * stress + WATER_PRICE * water)


class IrrigationPolicy(nn.Module):
    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.mean_net = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.log_std = nn.Parameter(torch.tensor(1.5))
        self.value_net = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, obs: Tensor) -> tuple[Normal, Tensor]:
        mean = 5.0 + 5.0 * self.mean_net(obs).squeeze(-1)
        return Normal(mean, self.log_std.exp()), self.value_net(obs).squeeze(-1)


def train_season(policy: IrrigationPolicy, optimizer: torch.optim.Optimizer, gen: torch.Generator) -> float:
    fields = SoilBucket(N_FIELDS, gen)
    total_reward: float = 0.0
    for day in range(SEASON_DAYS):
        weather = fields.weather()
        obs = fields.observe(weather)
        dist, value = policy(obs)
        depth: Tensor = dist.rsample()
        reward = fields.advance(depth, weather)

        advantage: Tensor = (reward - value).detach()
        loss = -(dist.log_prob(depth) * advantage).mean() + (reward - value).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_reward += reward.mean().item()
    return total_reward


def main() -> None:
    torch.manual_seed(8)
    gen = torch.Generator().manual_seed(8)
    policy = IrrigationPolicy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=2e-3)
    for season in range(SEASONS):
        season_reward = train_season(policy, optimizer, gen)
        with torch.no_grad():
            typical = policy(torch.tensor([[0.5, 0.0, 0.0]]))[0].mean.item()
        print(f"season {season:2d}  reward {season_reward:8.2f}  depth at half-full soil {typical:.2f} mm")


if __name__ == "__main__":
    main()
