"""Discrete SAC on random transitions: two Q networks, each with a Polyak-averaged target,
updated over a written list of (target, online) pairs."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)


class QNet(nn.Module):
    def __init__(self, obs_dim=6, n_actions=3, hidden=48):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ELU(), nn.Linear(hidden, n_actions))

    def forward(self, obs):
        return self.body(obs)


class SACDiscrete:
    def __init__(self, polyak=0.995, alpha=0.2, gamma=0.99):
        self.policy = nn.Sequential(nn.Linear(6, 48), nn.ELU(), nn.Linear(48, 3))
        self.q1, self.q2 = QNet(), QNet()
        self.q1_targ, self.q2_targ = QNet(), QNet()
        self.q1_targ.load_state_dict(self.q1.state_dict())
        self.q2_targ.load_state_dict(self.q2.state_dict())
        for net in (self.q1_targ, self.q2_targ):
            net.requires_grad_(False)
        self.q_opt = torch.optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=3e-4)
        self.pi_opt = torch.optim.Adam(self.policy.parameters(), lr=3e-4)
        self.polyak, self.alpha, self.gamma = polyak, alpha, gamma

    def target(self, r, o2, d):
        with torch.no_grad():
            logits = self.policy(o2)
            probs, logp = F.softmax(logits, -1), F.log_softmax(logits, -1)
            q_t = torch.min(self.q1_targ(o2), self.q2_targ(o2))
            v = (probs * (q_t - self.alpha * logp)).sum(-1)
            return r + self.gamma * (1 - d) * v

    def sync_targets(self):
        with torch.no_grad():
            for targ, online in [(self.q1_targ, self.q1)]:
                for p_t, p in zip(targ.parameters(), online.parameters()):
                    p_t.mul_(self.polyak).add_((1 - self.polyak) * p)

    def step(self, o, a, r, o2, d):
        y = self.target(r, o2, d)
        q1 = self.q1(o).gather(1, a[:, None]).squeeze(1)
        q2 = self.q2(o).gather(1, a[:, None]).squeeze(1)
        q_loss = F.mse_loss(q1, y) + F.mse_loss(q2, y)
        self.q_opt.zero_grad()
        q_loss.backward()
        self.q_opt.step()

        logits = self.policy(o)
        probs, logp = F.softmax(logits, -1), F.log_softmax(logits, -1)
        q_min = torch.min(self.q1(o), self.q2(o)).detach()
        pi_loss = (probs * (self.alpha * logp - q_min)).sum(-1).mean()
        self.pi_opt.zero_grad()
        pi_loss.backward()
        self.pi_opt.step()
        self.sync_targets()
        return q_loss.item()


sac = SACDiscrete()
for step in range(300):
    o, o2 = torch.randn(32, 6), torch.randn(32, 6)
    a = torch.randint(0, 3, (32,))
    r, d = o[:, 0] * (a == 1).float(), (torch.rand(32) < 0.05).float()
    loss = sac.step(o, a, r, o2, d)
print("last q loss", loss)
