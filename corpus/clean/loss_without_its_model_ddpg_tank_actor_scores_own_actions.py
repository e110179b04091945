# DDPG for a water tank: the state is the water level, the inflow and the target level, the action
# how far the outlet valve opens. Logged random valve settings fill a replay buffer; each update
# fits the critic to one-step targets and moves the actor up the critic's score of its own actions.
import copy

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
STATE, ACTION = 3, 1


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(STATE + ACTION, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, states, actions):
        return self.net(torch.cat([states, actions], -1))


def tank_step(states, valve):
    level, inflow, target = states.unbind(-1)
    level = (level + 0.1 * (inflow - valve.squeeze(-1).clamp(0, 1) * level.clamp(min=0).sqrt())).clamp(0, 2)
    reward = -(level - target).abs()
    return torch.stack([level, inflow, target], -1), reward.unsqueeze(-1)


N = 2500
states = torch.stack([torch.rand(N) * 2, torch.rand(N) * 0.5, torch.rand(N) * 1.5 + 0.25], -1)
actions = torch.rand(N, ACTION)
next_states, rewards = tank_step(states, actions)

actor = nn.Sequential(nn.Linear(STATE, 64), nn.ReLU(), nn.Linear(64, ACTION), nn.Sigmoid())
critic = Critic()
actor_target = copy.deepcopy(actor).requires_grad_(False)
critic_target = copy.deepcopy(critic).requires_grad_(False)
actor_opt = torch.optim.Adam(actor.parameters(), lr=1e-3)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)

for it in range(200):
    idx = torch.randint(0, N, (64,))
    s, a, r, s2 = states[idx], actions[idx], rewards[idx], next_states[idx]
    with torch.no_grad():
        target_q = r + 0.9 * critic_target(s2, actor_target(s2))
    critic_loss = F.mse_loss(critic(s, a), target_q)
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()

    actor_loss = -critic(s, actor(s)).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()

    with torch.no_grad():
        for net, target in ((actor, actor_target), (critic, critic_target)):
            for p, p_t in zip(net.parameters(), target.parameters()):
                p_t.lerp_(p, 0.01)
    if it % 50 == 0:
        print(f"iter {it}: critic {critic_loss.item():.4f} actor {actor_loss.item():.4f}")
