"""Advantage actor-critic on a contextual bandit: each state's best arm is a fixed linear function
of the state. One helper does zero_grad / backward / clip / step for whichever loss it is given."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
STATE, ARMS = 6, 3
payoff = torch.randn(STATE, ARMS)

actor = nn.Sequential(nn.Linear(STATE, 32), nn.Tanh(), nn.Linear(32, ARMS))
critic = nn.Sequential(nn.Linear(STATE, 32), nn.Tanh(), nn.Linear(32, 1))
actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-3)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-2)


def update(loss, optimizer, max_norm=0.5):
    optimizer.zero_grad()
    loss.backward()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    nn.utils.clip_grad_norm_(params, max_norm)
    optimizer.step()


for iteration in range(300):
    states = torch.randn(64, STATE)
    policy = torch.distributions.Categorical(logits=actor(states))
    arms = policy.sample()
    rewards = (states @ payoff).gather(1, arms[:, None]).squeeze(1)
    values = critic(states).squeeze(1)

    advantage = (rewards - values).detach()
    actor_loss = -(policy.log_prob(arms) * advantage).mean() - 0.01 * policy.entropy().mean()
    critic_loss = F.mse_loss(values, rewards)

    update(actor_loss, actor_opt)
    update(critic_loss, actor_opt)

    if iteration % 100 == 0:
        print(f"iter {iteration}: reward {rewards.mean().item():.3f} value loss {critic_loss.item():.3f}")
