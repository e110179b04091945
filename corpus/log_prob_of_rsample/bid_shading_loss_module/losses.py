"""Loss terms shared by the bidding experiments."""
import torch


def score_function_loss(dist, actions, advantages, normalize=True):
    """REINFORCE surrogate: -E[log pi(a|s) * A]."""
    if normalize:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    return -(dist.log_prob(actions) * advantages.detach()).mean()


def entropy_bonus(dist, coef):
    return -coef * dist.entropy().mean()


def value_loss(predicted, target):
    return 0.5 * (predicted - target.detach()).pow(2).mean()
