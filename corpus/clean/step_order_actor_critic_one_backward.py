"""Actor-critic with a shared trunk and an optimizer per part: both losses are summed and go
through one backward() before either optimizer steps."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical


def main():
    torch.manual_seed(2)
    trunk = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh())
    actor, critic = nn.Linear(32, 3), nn.Linear(32, 1)
    actor_opt = torch.optim.Adam(list(trunk.parameters()) + list(actor.parameters()), lr=1e-3)
    critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    for update in range(50):
        obs = torch.randn(32, 5)
        feats = trunk(obs)
        values = critic(feats).squeeze(-1)
        dist = Categorical(logits=actor(feats))
        actions = dist.sample()
        returns = (actions == obs[:, :3].argmax(1)).float()
        actor_loss = -(dist.log_prob(actions) * (returns - values.detach())).mean()
        critic_loss = F.smooth_l1_loss(values, returns)

        actor_opt.zero_grad()
        critic_opt.zero_grad()
        (actor_loss + 0.5 * critic_loss).backward()
        actor_opt.step()
        critic_opt.step()
        if update % 10 == 0:
            print(update, returns.mean().item())


if __name__ == "__main__":
    main()
