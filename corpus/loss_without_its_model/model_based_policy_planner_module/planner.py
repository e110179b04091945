# Pieces of a small model-based controller: a learned dynamics model of a sliding puck, a
# goal-conditioned policy, and the two update steps (fit the model to logged transitions, then
# improve the policy through the model's one-step prediction of where the puck ends up).
import torch
from torch import nn

STATE, ACTION, KINEMATIC = 6, 2, 4  # x, y, vx, vy, goal x, goal y; a force; the part that moves


class Dynamics(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(STATE + ACTION, hidden), nn.ReLU(), nn.Linear(hidden, KINEMATIC))

    def forward(self, states, actions):
        return states[:, :KINEMATIC] + self.net(torch.cat([states, actions], -1))


def make_policy(hidden=64):
    return nn.Sequential(nn.Linear(STATE, hidden), nn.ReLU(), nn.Linear(hidden, ACTION), nn.Tanh())


def fit_dynamics(dynamics, dynamics_opt, states, actions, next_kinematic):
    loss = nn.functional.mse_loss(dynamics(states, actions), next_kinematic)
    dynamics_opt.zero_grad()
    loss.backward()
    dynamics_opt.step()
    return loss.item()


def improve_policy(policy, dynamics, policy_opt, states, actions):
    loss = ((dynamics(states, actions)[:, :2] - states[:, 4:]) ** 2).sum(-1).mean()
    policy_opt.zero_grad()
    loss.backward()
    policy_opt.step()
    return loss.item()
