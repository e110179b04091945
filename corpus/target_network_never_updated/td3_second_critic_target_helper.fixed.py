"""TD3 with two separate critic networks on a toy reaching task: each critic has its own target,
moved towards it by a soft-update helper after every critic step."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

STATE, ACTION = 4, 2


def mlp(inp, out, hidden=32):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, out))


def soft_update(target, source, tau):
    with torch.no_grad():
        for t, s in zip(target.parameters(), source.parameters()):
            t.mul_(1.0 - tau).add_(s, alpha=tau)


class TD3Agent:
    def __init__(self, tau=0.01, gamma=0.98, policy_noise=0.1):
        self.actor, self.actor_target = mlp(STATE, ACTION), mlp(STATE, ACTION)
        self.q1, self.q1_target = mlp(STATE + ACTION, 1), mlp(STATE + ACTION, 1)
        self.q2, self.q2_target = mlp(STATE + ACTION, 1), mlp(STATE + ACTION, 1)
        for target, online in ((self.actor_target, self.actor), (self.q1_target, self.q1), (self.q2_target, self.q2)):
            target.load_state_dict(online.state_dict())
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.critic_opt = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=1e-3)
        self.tau, self.gamma, self.policy_noise = tau, gamma, policy_noise

    def update(self, s, a, r, s2):
        with torch.no_grad():
            a2 = torch.tanh(self.actor_target(s2))
            a2 = (a2 + self.policy_noise * torch.randn_like(a2)).clamp(-1, 1)
            sa2 = torch.cat([s2, a2], dim=1)
            y = r + self.gamma * torch.min(self.q1_target(sa2), self.q2_target(sa2))
        sa = torch.cat([s, a], dim=1)
        critic_loss = F.mse_loss(self.q1(sa), y) + F.mse_loss(self.q2(sa), y)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        pi = torch.tanh(self.actor(s))
        actor_loss = -self.q1(torch.cat([s, pi], dim=1)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()

        soft_update(self.actor_target, self.actor, self.tau)
        soft_update(self.q2_target, self.q2, self.tau)
        soft_update(self.q1_target, self.q1, self.tau)
        return critic_loss.item(), actor_loss.item()


agent = TD3Agent()
for it in range(200):
    s = torch.randn(64, STATE)
    a = torch.rand(64, ACTION) * 2 - 1
    r = -((s[:, :ACTION] - a) ** 2).sum(1, keepdim=True)
    s2 = s + 0.1 * torch.randn_like(s)
    c, p = agent.update(s, a, r, s2)
    if it % 50 == 0:
        print(f"it {it}: critic {c:.3f} actor {p:.3f}")
