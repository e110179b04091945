"""SAC on a toy continuous task: a squashed Gaussian policy and two Q networks, each with a target
copy (made by deepcopy, frozen) moved towards it by a Polyak-averaging helper after every update."""
import copy as cp

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

OBS, ACT = 6, 2


def polyak_update(net, targ, rho):
    with torch.no_grad():
        for p, p_targ in zip(net.parameters(), targ.parameters()):
            p_targ.data.mul_(rho)
            p_targ.data.add_((1 - rho) * p.data)


def mlp(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = mlp([OBS, 64, 64])
        self.mu = nn.Linear(64, ACT)
        self.log_std = nn.Linear(64, ACT)

    def forward(self, obs):
        h = F.relu(self.body(obs))
        dist = torch.distributions.Normal(self.mu(h), self.log_std(h).clamp(-5, 2).exp())
        u = dist.rsample()
        logp = dist.log_prob(u).sum(-1) - (2 * (0.6931 - u - F.softplus(-2 * u))).sum(-1)
        return torch.tanh(u), logp


class SAC:
    def __init__(self, gamma=0.99, polyak=0.995, alpha=0.2):
        self.pi = Policy()
        self.q1, self.q2 = mlp([OBS + ACT, 64, 64, 1]), mlp([OBS + ACT, 64, 64, 1])
        self.q1_targ = cp.deepcopy(self.q1)
        self.q2_targ = cp.deepcopy(self.q2)
        for p in [*self.q1_targ.parameters(), *self.q2_targ.parameters()]:
            p.requires_grad = False
        self.pi_opt = torch.optim.Adam(self.pi.parameters(), lr=3e-4)
        self.q_opt = torch.optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=3e-4)
        self.gamma, self.polyak, self.alpha = gamma, polyak, alpha

    def update(self, o, a, r, o2, d):
        with torch.no_grad():
            a2, logp2 = self.pi(o2)
            x2 = torch.cat([o2, a2], -1)
            q_next = torch.min(self.q1_targ(x2), self.q2_targ(x2)).squeeze(-1)
            backup = r + self.gamma * (1 - d) * (q_next - self.alpha * logp2)
        x = torch.cat([o, a], -1)
        loss_q = ((self.q1(x).squeeze(-1) - backup) ** 2).mean() + ((self.q2(x).squeeze(-1) - backup) ** 2).mean()
        self.q_opt.zero_grad()
        loss_q.backward()
        self.q_opt.step()

        pi_a, logp = self.pi(o)
        xp = torch.cat([o, pi_a], -1)
        loss_pi = (self.alpha * logp - torch.min(self.q1(xp), self.q2(xp)).squeeze(-1)).mean()
        self.pi_opt.zero_grad()
        loss_pi.backward()
        self.pi_opt.step()

        polyak_update(self.q1, self.q1_targ, self.polyak)
        polyak_update(self.q2, self.q2_targ, self.polyak)
        return loss_q.item(), loss_pi.item()


agent = SAC()
for t in range(300):
    o, a = torch.randn(128, OBS), torch.rand(128, ACT) * 2 - 1
    r = -(a - o[:, :ACT].tanh()).pow(2).sum(-1)
    o2, d = o + 0.05 * torch.randn_like(o), (torch.rand(128) < 0.02).float()
    lq, lp = agent.update(o, a, r, o2, d)
    if t % 100 == 0:
        print(f"t={t} q={lq:.3f} pi={lp:.3f}")
