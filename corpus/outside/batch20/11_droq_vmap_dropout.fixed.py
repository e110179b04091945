# Report: https://github.com/pytorch/rl/issues/2313
# A DroQ-style agent (dropout + LayerNorm Q-functions) on a synthetic continuous-control replay
# buffer. The critic ensemble is vectorised with torch.func: stack_module_state over the
# Q-networks and vmap(functional_call). vmap's default randomness="error" refuses the random
# mask of the Q-networks' nn.Dropout, so the first critic forward fails with "vmap: called
# random operation while in randomness error mode".
import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state


@dataclass
class Config:
    obs_dim: int = 6
    act_dim: int = 2
    hidden: int = 64
    n_critics: int = 2
    dropout: float = 0.01
    gamma: float = 0.99
    tau: float = 0.005
    lr: float = 3e-4
    batch: int = 64
    buffer: int = 4000
    updates: int = 300
    utd: int = 2
    seed: int = 1


cfg = Config()
torch.manual_seed(cfg.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(cfg.obs_dim + cfg.act_dim, cfg.hidden), nn.Dropout(cfg.dropout), nn.LayerNorm(cfg.hidden), nn.ReLU(),
            nn.Linear(cfg.hidden, cfg.hidden), nn.Dropout(cfg.dropout), nn.LayerNorm(cfg.hidden), nn.ReLU(),
            nn.Linear(cfg.hidden, 1),
        )

    def forward(self, obs, act):
        return self.net(torch.cat([obs, act], -1)).squeeze(-1)


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(cfg.obs_dim, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU())
        self.mu = nn.Linear(cfg.hidden, cfg.act_dim)
        self.log_std = nn.Linear(cfg.hidden, cfg.act_dim)

    def forward(self, obs):
        h = self.body(obs)
        std = self.log_std(h).clamp(-5, 2).exp()
        dist = torch.distributions.Normal(self.mu(h), std)
        u = dist.rsample()
        a = torch.tanh(u)
        logp = (dist.log_prob(u) - torch.log(1 - a.pow(2) + 1e-6)).sum(-1)
        return a, logp


def make_buffer(n):
    obs = torch.randn(n, cfg.obs_dim)
    act = torch.rand(n, cfg.act_dim) * 2 - 1
    nxt = obs + 0.1 * torch.cat([act, act, act], -1)[:, : cfg.obs_dim] + 0.01 * torch.randn(n, cfg.obs_dim)
    rew = -(nxt ** 2).sum(-1) + 0.1 * act.sum(-1)
    done = torch.zeros(n)
    return obs, act, rew, nxt, done


qnets = [QNet().to(device) for _ in range(cfg.n_critics)]
critic_params, critic_buffers = stack_module_state(qnets)
target_params = {k: v.detach().clone() for k, v in critic_params.items()}
base = copy.deepcopy(qnets[0]).to("meta")


def q_single(params, buffers, obs, act):
    return functional_call(base, (params, buffers), (obs, act))


def q_ensemble(params, obs, act):
    return torch.vmap(q_single, in_dims=(0, 0, None, None), randomness="different")(params, critic_buffers, obs, act)


actor = Actor().to(device)
log_alpha = torch.zeros(1, requires_grad=True, device=device)
critic_opt = torch.optim.Adam(list(critic_params.values()), lr=cfg.lr)
actor_opt = torch.optim.Adam(actor.parameters(), lr=cfg.lr)
alpha_opt = torch.optim.Adam([log_alpha], lr=cfg.lr)
target_entropy = -float(cfg.act_dim)

obs_b, act_b, rew_b, nxt_b, done_b = [t.to(device) for t in make_buffer(cfg.buffer)]

for it in range(cfg.updates):
    for _ in range(cfg.utd):
        idx = torch.randint(0, cfg.buffer, (cfg.batch,), device=device)
        o, a, r, o2, d = obs_b[idx], act_b[idx], rew_b[idx], nxt_b[idx], done_b[idx]
        with torch.no_grad():
            a2, logp2 = actor(o2)
            q_next = q_ensemble(target_params, o2, a2).min(0).values - log_alpha.exp() * logp2
            target = r + cfg.gamma * (1 - d) * q_next
        q = q_ensemble(critic_params, o, a)
        critic_loss = F.mse_loss(q, target.expand_as(q))
        critic_opt.zero_grad()
        critic_loss.backward()
        critic_opt.step()
        with torch.no_grad():
            for k in target_params:
                target_params[k].lerp_(critic_params[k], cfg.tau)

    a_pi, logp = actor(o)
    q_pi = q_ensemble(critic_params, o, a_pi).mean(0)
    actor_loss = (log_alpha.exp().detach() * logp - q_pi).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()
    alpha_loss = -(log_alpha * (logp.detach() + target_entropy)).mean()
    alpha_opt.zero_grad()
    alpha_loss.backward()
    alpha_opt.step()
    if it % 50 == 0:
        print(f"update {it}: critic {critic_loss.item():.3f} actor {actor_loss.item():.3f} alpha {log_alpha.exp().item():.3f}")

with torch.no_grad():
    a_eval, _ = actor(obs_b[:512])
    print("mean Q of policy actions:", q_ensemble(critic_params, obs_b[:512], a_eval).mean().item())
