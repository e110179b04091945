"""A score-function surrogate with DiCE's "magic box": exp(x - x.detach()) is 1 in the forward
pass, and its gradient is the gradient of x. The difference is of equal values, and the second is
detached on purpose: the policy trains."""
import torch
from torch import nn
from torch.distributions import Categorical


def magic_box(x):
    return torch.exp(x - x.detach())


def main():
    torch.manual_seed(0)
    policy = nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 3))
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    for step in range(30):
        obs = torch.randn(64, 6)
        dist = Categorical(logits=policy(obs))
        action = dist.sample()
        reward = (action == obs[:, :3].argmax(-1)).float()
        surrogate = magic_box(dist.log_prob(action)) * (reward - reward.mean())
        loss = -surrogate.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: reward {reward.mean().item():.2f}")


if __name__ == "__main__":
    main()
