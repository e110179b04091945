"""Collecting on-policy rollouts from a batch of environments."""
from typing import NamedTuple

import torch


class Rollout(NamedTuple):
    log_probs: torch.Tensor  # (T, N)
    entropies: torch.Tensor  # (T, N)
    values: torch.Tensor  # (T, N)
    rewards: torch.Tensor  # (T, N)
    dones: torch.Tensor  # (T, N)
    last_value: torch.Tensor  # (N,)
    next_obs: torch.Tensor


def collect(actor, critic, env, obs, horizon):
    """Run the actor for `horizon` steps in every environment of the batch.

    Returns the log-probabilities and values with their graphs, for the update, and the
    observation to start the next rollout from.
    """
    log_probs, entropies, values, rewards, dones = [], [], [], [], []
    for _ in range(horizon):
        dist = actor(obs)
        action = dist.sample()
        next_obs, reward, done = env.step(action)

        log_probs.append(dist.log_prob(action).sum(-1))
        entropies.append(dist.entropy().sum(-1))
        values.append(critic(obs).squeeze(-1))
        rewards.append(reward)
        dones.append(done)
        obs = next_obs

    with torch.no_grad():
        last_value = critic(obs).squeeze(-1)
    return Rollout(
        log_probs=torch.stack(log_probs),
        entropies=torch.stack(entropies),
        values=torch.stack(values),
        rewards=torch.stack(rewards),
        dones=torch.stack(dones),
        last_value=last_value,
        next_obs=obs,
    )
