"""Bid shading for first-price display auctions, learned as a contextual bandit.

For each impression the bidder sees its own value estimate and a few features of the placement
(site quality, hour, floor price) and bids value * sigmoid(shade). It wins when its bid beats the
highest competing bid and then pays its bid; the surplus value - bid is the reward.
"""
import torch
from torch import nn
import torch.nn.functional as F

from losses import entropy_bonus, score_function_loss, value_loss

torch.manual_seed(21)
GEN = torch.Generator().manual_seed(21)
N_FEATURES, BATCH, ROUNDS = 5, 512, 150


def auction_batch(n):
    feats = torch.randn(n, N_FEATURES, generator=GEN)
    value = torch.exp(0.3 * feats[:, 0] + 0.2 * torch.randn(n, generator=GEN))
    competitor = value * torch.sigmoid(0.5 + 0.8 * feats[:, 1] + 0.5 * torch.randn(n, generator=GEN))
    return torch.cat([feats, value.log().unsqueeze(-1)], -1), value, competitor


class ShadingPolicy(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.loc = nn.Sequential(nn.Linear(N_FEATURES + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.scale = nn.Sequential(nn.Linear(N_FEATURES + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        loc = self.loc(x).squeeze(-1)
        scale = F.softplus(self.scale(x).squeeze(-1)) + 0.05
        return torch.distributions.Normal(loc, scale)


def main():
    policy = ShadingPolicy()
    critic = nn.Sequential(nn.Linear(N_FEATURES + 1, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam([
        {"params": policy.parameters(), "lr": 1e-3},
        {"params": critic.parameters(), "lr": 3e-3},
    ])
    for rnd in range(ROUNDS):
        x, value, competitor = auction_batch(BATCH)
        dist = policy(x)
        shade = dist.sample()
        with torch.no_grad():
            bid = value * torch.sigmoid(shade)
            surplus = (bid > competitor).float() * (value - bid)

        predicted = critic(x).squeeze(-1)
        loss = (
            score_function_loss(dist, shade, surplus - predicted)
            + entropy_bonus(dist, 1e-3)
            + value_loss(predicted, surplus)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()

        if rnd % 25 == 0 or rnd == ROUNDS - 1:
            win_rate = (bid > competitor).float().mean().item()
            print(f"round {rnd:3d}  surplus/impression {surplus.mean().item():.4f}  win rate {win_rate:.3f}  "
                  f"mean shade {torch.sigmoid(dist.mean).mean().item():.3f}")


if __name__ == "__main__":
    main()
