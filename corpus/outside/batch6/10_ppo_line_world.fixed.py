import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = dict(n_envs=32, horizon=20, gamma=0.95, lam=0.9, clip_eps=0.2, epochs=3,
           lr=3e-3, vf_coef=0.5, ent_coef=0.01, max_grad_norm=0.0, iterations=9)


class LineWorld:
    """Move a point on [-1, 1] towards a goal; actions: left / stay / right."""

    def __init__(self, n):
        self.n = n

    def reset(self):
        self.pos = torch.rand(self.n) * 2 - 1
        self.goal = torch.rand(self.n) * 2 - 1
        return self.obs()

    def obs(self):
        return torch.stack([self.pos, self.goal, self.goal - self.pos], dim=1)

    def step(self, action):
        self.pos = (self.pos + 0.1 * (action.float() - 1)).clamp(-1, 1)
        reward = -(self.goal - self.pos).abs()
        return self.obs(), reward


actor = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 3)).to(device)
critic = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 1)).to(device)
params = list(actor.parameters()) + list(critic.parameters())
optimizer = torch.optim.Adam(params, lr=cfg["lr"])
env = LineWorld(cfg["n_envs"])


def rollout():
    obs_buf, act_buf, logp_buf, rew_buf, val_buf = [], [], [], [], []
    obs = env.reset()
    with torch.no_grad():
        for _ in range(cfg["horizon"]):
            dist = Categorical(logits=actor(obs))
            action = dist.sample()
            obs_buf.append(obs); act_buf.append(action); logp_buf.append(dist.log_prob(action))
            val_buf.append(critic(obs).squeeze(-1))
            obs, reward = env.step(action)
            rew_buf.append(reward)
        last_val = critic(obs).squeeze(-1)
    # generalized advantage estimation
    adv, gae = [], torch.zeros(cfg["n_envs"])
    values = val_buf + [last_val]
    for t in reversed(range(cfg["horizon"])):
        delta = rew_buf[t] + cfg["gamma"] * values[t + 1] - values[t]
        gae = delta + cfg["gamma"] * cfg["lam"] * gae
        adv.insert(0, gae)
    adv = torch.stack(adv)
    returns = adv + torch.stack(val_buf)
    return (torch.cat(obs_buf), torch.cat(act_buf), torch.cat(logp_buf),
            adv.flatten(), returns.flatten(), torch.stack(rew_buf).mean().item())


for it in range(cfg["iterations"]):
    obs, act, old_logp, adv, ret, mean_rew = rollout()
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    for _ in range(cfg["epochs"]):
        for mb in torch.randperm(len(obs)).split(128):
            dist = Categorical(logits=actor(obs[mb]))
            ratio = (dist.log_prob(act[mb]) - old_logp[mb]).exp()
            surr = torch.min(ratio * adv[mb], ratio.clamp(1 - cfg["clip_eps"], 1 + cfg["clip_eps"]) * adv[mb])
            value_loss = F.mse_loss(critic(obs[mb]).squeeze(-1), ret[mb])
            loss = -surr.mean() + cfg["vf_coef"] * value_loss - cfg["ent_coef"] * dist.entropy().mean()
            optimizer.zero_grad()
            loss.backward()
            if cfg["max_grad_norm"] > 0:
                nn.utils.clip_grad_norm_(params, cfg["max_grad_norm"])
            optimizer.step()
    if it % 3 == 2:
        print(f"iter {it + 1} mean reward {mean_rew:.3f} value loss {value_loss.item():.4f}")
