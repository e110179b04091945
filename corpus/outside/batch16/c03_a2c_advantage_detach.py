# Look-alike of: https://github.com/ikostrikov/pytorch-a2c-ppo-acktr-gail/blob/master/a2c_ppo_acktr/algo/a2c_acktr.py
# The actor loss multiplies the log-probabilities by advantages.detach(), which looks like a graph cut,
# but only the critic's value estimate is stopped there on purpose; the value loss trains the critic
# and the policy head still gets its gradient through the log-probabilities.
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Categorical

CFG = {"obs_dim": 6, "n_actions": 3, "n_steps": 5, "n_envs": 4, "updates": 30, "gamma": 0.99,
       "value_loss_coef": 0.5, "entropy_coef": 0.01, "lr": 7e-4, "seed": 0}


class ActorCritic(nn.Module):
    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.base = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh())
        self.actor = nn.Linear(32, n_actions)
        self.critic = nn.Linear(32, 1)

    def forward(self, obs):
        h = self.base(obs)
        return Categorical(logits=self.actor(h)), self.critic(h).squeeze(-1)


class ToyEnv:
    def __init__(self, cfg, rng):
        self.cfg, self.rng = cfg, rng

    def reset(self):
        return torch.tensor(self.rng.randn(self.cfg["n_envs"], self.cfg["obs_dim"]), dtype=torch.float32)

    def step(self, obs, action):
        reward = (action == (obs[:, 0] > 0).long()).float()
        return self.reset(), reward


def main(cfg):
    torch.manual_seed(cfg["seed"])
    env = ToyEnv(cfg, np.random.RandomState(cfg["seed"]))
    ac = ActorCritic(cfg["obs_dim"], cfg["n_actions"])
    optimizer = torch.optim.RMSprop(ac.parameters(), lr=cfg["lr"], eps=1e-5, alpha=0.99)
    obs = env.reset()
    for update in range(cfg["updates"]):
        log_probs, values, rewards, entropies = [], [], [], []
        for _ in range(cfg["n_steps"]):
            dist, value = ac(obs)
            action = dist.sample()
            obs, reward = env.step(obs, action)
            log_probs.append(dist.log_prob(action)); values.append(value)
            rewards.append(reward); entropies.append(dist.entropy())
        with torch.no_grad():
            ret = ac(obs)[1]
        returns = []
        for r in reversed(rewards):
            ret = r + cfg["gamma"] * ret
            returns.insert(0, ret)
        returns, values = torch.stack(returns), torch.stack(values)
        advantages = returns - values
        value_loss = advantages.pow(2).mean()
        action_loss = -(advantages.detach() * torch.stack(log_probs)).mean()
        dist_entropy = torch.stack(entropies).mean()
        optimizer.zero_grad()
        (value_loss * cfg["value_loss_coef"] + action_loss - dist_entropy * cfg["entropy_coef"]).backward()
        nn.utils.clip_grad_norm_(ac.parameters(), 0.5)
        optimizer.step()
        if update % 10 == 0:
            print(f"update {update} value {value_loss.item():.4f} action {action_loss.item():.4f}")
    return ac


if __name__ == "__main__":
    ac = main(CFG)
