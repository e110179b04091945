# A soft-actor-critic-style agent with a deterministic tanh policy controlling a room heater: the
# state is room temperature, outside temperature and setpoint, the action the heater power. Twin
# critics are fitted to clipped double-Q targets, then the policy is pushed up the smaller Q-value.
import copy

import torch
from torch import nn

torch.manual_seed(0)
STATE, ACTION = 3, 1


class TwinQ(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.q1 = nn.Sequential(nn.Linear(STATE + ACTION, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.q2 = nn.Sequential(nn.Linear(STATE + ACTION, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, states, actions):
        x = torch.cat([states, actions], -1)
        return self.q1(x), self.q2(x)

    def min_q(self, states, actions):
        return torch.min(*self(states, actions))


class HeaterAgent:
    def __init__(self, gamma=0.9):
        self.policy = nn.Sequential(nn.Linear(STATE, 64), nn.ReLU(), nn.Linear(64, ACTION), nn.Tanh())
        self.critic = TwinQ()
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.policy_opt = torch.optim.Adam(self.policy.parameters(), lr=3e-4)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.gamma = gamma

    def update_critic(self, states, actions, rewards, next_states):
        with torch.no_grad():
            target = rewards + self.gamma * self.critic_target.min_q(next_states, self.policy(next_states))
        q1, q2 = self.critic(states, actions)
        loss = ((q1 - target) ** 2).mean() + ((q2 - target) ** 2).mean()
        self.critic_opt.zero_grad()
        loss.backward()
        self.critic_opt.step()
        with torch.no_grad():
            for p, p_t in zip(self.critic.parameters(), self.critic_target.parameters()):
                p_t.lerp_(p, 0.01)
        return loss.item()

    def update_policy(self, states, actions):
        policy_loss = -self.critic.min_q(
            states,
            actions,
        ).mean()
        self.policy_opt.zero_grad()
        policy_loss.backward()
        self.policy_opt.step()
        return policy_loss.item()


room, outside, setpoint = torch.rand(2500) * 10 + 12, torch.rand(2500) * 20 - 5, torch.rand(2500) * 4 + 19
states = torch.stack([room, outside, setpoint], -1) / 20
actions = torch.rand(2500, ACTION) * 2 - 1
next_room = room + 0.1 * (outside - room) + 1.5 * (actions.squeeze(-1) + 1)
next_states = torch.stack([next_room, outside, setpoint], -1) / 20
rewards = (-(next_room - setpoint).abs() - 0.2 * (actions.squeeze(-1) + 1)).unsqueeze(-1)

agent = HeaterAgent()
for it in range(200):
    idx = torch.randint(0, 2500, (64,))
    c = agent.update_critic(states[idx], actions[idx], rewards[idx], next_states[idx])
    p = agent.update_policy(states[idx], actions[idx])
    if it % 50 == 0:
        print(f"iter {it}: critic {c:.3f} policy {p:.3f}")
