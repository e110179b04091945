"""A policy trained with a KL penalty towards a frozen reference copy of its starting point (never
updated, on purpose), and evaluated through an EMA copy that follows the policy as a whole."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Agent(nn.Module):
    def __init__(self, obs_dim=8, n_actions=4, ema_decay=0.95):
        super().__init__()
        self.policy = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh(), nn.Linear(32, n_actions))
        self.reference = copy.deepcopy(self.policy).requires_grad_(False)
        self.ema = copy.deepcopy(self.policy).requires_grad_(False)
        self.ema_decay = ema_decay

    @torch.no_grad()
    def update_ema(self):
        for p_ema, p in zip(self.ema.parameters(), self.policy.parameters()):
            p_ema.lerp_(p, 1 - self.ema_decay)

    def loss(self, obs, actions, advantages, beta=0.1):
        logp = F.log_softmax(self.policy(obs), dim=-1)
        with torch.no_grad():
            ref_logp = F.log_softmax(self.reference(obs), dim=-1)
        pg = -(logp.gather(1, actions[:, None]).squeeze(1) * advantages).mean()
        kl = F.kl_div(ref_logp, logp, log_target=True, reduction="batchmean")
        return pg + beta * kl


torch.manual_seed(0)
agent = Agent()
opt = torch.optim.Adam(agent.policy.parameters(), lr=1e-2)
for it in range(60):
    obs = torch.randn(128, 8)
    actions = torch.randint(0, 4, (128,))
    advantages = (obs[:, 0] * (actions == 1).float()) - 0.1
    loss = agent.loss(obs, actions, advantages)
    opt.zero_grad()
    loss.backward()
    opt.step()
    agent.update_ema()
with torch.no_grad():
    print("ema picks action 1 for", (agent.ema(torch.randn(256, 8)).argmax(1) == 1).float().mean().item())
