# TD3 for a pan-tilt camera that must point at a moving target: the state is the camera's and the
# target's angles, the action a bounded turn. The twin critics are fitted every update on clipped
# double-Q targets; the actor and the target networks are updated on every second update only.
import copy

import torch
from torch import nn

torch.manual_seed(0)
STATE, ACTION = 4, 2


class TwinCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.q1 = nn.Sequential(nn.Linear(STATE + ACTION, 64), nn.ReLU(), nn.Linear(64, 1))
        self.q2 = nn.Sequential(nn.Linear(STATE + ACTION, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, states, actions):
        sa = torch.cat([states, actions], -1)
        return self.q1(sa), self.q2(sa)


class TD3:
    def __init__(self, policy_delay=2):
        self.actor = nn.Sequential(nn.Linear(STATE, 64), nn.ReLU(), nn.Linear(64, ACTION), nn.Tanh())
        self.critic = TwinCritic()
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.policy_delay, self.updates = policy_delay, 0

    def train_step(self, s, a, r, s2):
        self.updates += 1
        with torch.no_grad():
            a2 = (self.actor_target(s2) + (0.2 * torch.randn_like(a)).clamp(-0.5, 0.5)).clamp(-1, 1)
            target = r + 0.9 * torch.min(*self.critic_target(s2, a2))
        q1, q2 = self.critic(s, a)
        critic_loss = nn.functional.mse_loss(q1, target) + nn.functional.mse_loss(q2, target)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        if self.updates % self.policy_delay == 0:
            actor_loss = -self.critic(s, self.actor(s))[0].mean()
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            with torch.no_grad():
                for net, target_net in ((self.actor, self.actor_target), (self.critic, self.critic_target)):
                    for p, p_t in zip(net.parameters(), target_net.parameters()):
                        p_t.mul_(0.995).add_(0.005 * p)
        return critic_loss.item()


N = 3000
states = torch.rand(N, STATE) * 2 - 1
actions = torch.rand(N, ACTION) * 2 - 1
camera = (states[:, :2] + 0.2 * actions).clamp(-1, 1)
moved_target = (states[:, 2:] + 0.05 * torch.randn(N, 2)).clamp(-1, 1)
next_states = torch.cat([camera, moved_target], -1)
rewards = -(camera - moved_target).norm(dim=-1, keepdim=True)

agent = TD3()
for it in range(200):
    idx = torch.randint(0, N, (64,))
    loss = agent.train_step(states[idx], actions[idx], rewards[idx], next_states[idx])
    if it % 50 == 0:
        print(f"update {it}: critic loss {loss:.4f}")
