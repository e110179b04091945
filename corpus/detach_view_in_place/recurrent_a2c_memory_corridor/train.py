"""Train a recurrent A2C agent on a memory corridor: a cue (left or right) is shown on the first
step only, the agent walks down a corridor and is rewarded for turning the way the cue said."""
from types import SimpleNamespace

import torch

from agent import RecurrentPolicy, rollout_and_update

cfg = SimpleNamespace(
    n_envs=32,
    corridor=4,
    n_steps=8,
    updates=75,
    lr=3e-3,
    gamma=0.95,
    value_coef=0.5,
    entropy_coef=0.01,
    max_grad_norm=0.5,
    seed=5,
)


class MemoryCorridor:
    """Observation: [cue_left, cue_right, at_junction, progress]. Actions: 0 forward, 1 left, 2 right."""

    def __init__(self, n_envs, length, generator):
        self.n, self.length, self.g = n_envs, length, generator
        self.pos = torch.zeros(n_envs)
        self.cue = torch.zeros(n_envs, dtype=torch.long)
        self.reset_all()

    def reset_all(self):
        self._reset(torch.ones(self.n, dtype=torch.bool))
        return self.observe(show_cue=torch.ones(self.n, dtype=torch.bool))

    def _reset(self, mask):
        self.pos[mask] = 0
        self.cue[mask] = torch.randint(0, 2, (int(mask.sum()),), generator=self.g)

    def observe(self, show_cue):
        obs = torch.zeros(self.n, 4)
        obs[show_cue, self.cue[show_cue]] = 1.0
        obs[:, 2] = (self.pos >= self.length).float()
        obs[:, 3] = self.pos / self.length
        return obs

    def step(self, action):
        at_junction = self.pos >= self.length
        reward = torch.zeros(self.n)
        turned = at_junction & (action > 0)
        correct = turned & (action - 1 == self.cue)
        reward[correct] = 1.0
        reward[turned & ~correct] = -1.0
        reward[~at_junction & (action > 0)] = -0.05
        self.pos = torch.where(~at_junction & (action == 0), self.pos + 1, self.pos)
        done = turned.float()
        self._reset(turned)
        return self.observe(show_cue=turned), reward, done


def main():
    torch.manual_seed(cfg.seed)
    env = MemoryCorridor(cfg.n_envs, cfg.corridor, torch.Generator().manual_seed(cfg.seed))
    policy = RecurrentPolicy(obs_dim=4, n_actions=3)
    optimizer = torch.optim.RMSprop(policy.parameters(), lr=cfg.lr, alpha=0.99, eps=1e-5)

    obs = env.reset_all()
    hx = policy.initial_state(cfg.n_envs)
    history = []
    for update in range(1, cfg.updates + 1):
        obs, hx, loss, reward = rollout_and_update(policy, optimizer, env, obs, hx, cfg)
        history.append(reward / cfg.n_envs)
        if update % 25 == 0:
            recent = sum(history[-25:]) / 25
            print(f"update {update:4d}  loss {loss:+.3f}  reward per env per rollout {recent:+.3f}")


if __name__ == "__main__":
    main()
