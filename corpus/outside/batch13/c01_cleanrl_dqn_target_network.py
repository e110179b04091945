# Correct look-alike modelled on: https://github.com/vwxyzjn/cleanrl/blob/master/cleanrl/dqn.py
# Looks suspicious: a second network (target_network) is never given to the optimizer and the
# TD target is computed under torch.no_grad(). This is deliberate: the target network is a
# lagged copy refreshed with load_state_dict every `target_network_frequency` steps (or
# soft-updated with tau), and the TD target must not be differentiated.
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

seed = 1
random.seed(seed)
np.random.seed(seed)
torch.manual_seed(seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

args = dict(total_timesteps=300, learning_rate=2.5e-4, buffer_size=200, gamma=0.99, tau=1.0,
            target_network_frequency=50, batch_size=32, start_e=1.0, end_e=0.05,
            exploration_fraction=0.5, learning_starts=50, train_frequency=2)


class ChainEnv:
    """Tiny deterministic chain MDP with a 4-d observation (CartPole-sized)."""

    def __init__(self, n=8):
        self.n = n

    def obs(self):
        return np.array([self.pos / self.n, 1.0, (self.pos % 2), 0.0], dtype=np.float32)

    def reset(self):
        self.pos, self.t = 0, 0
        return self.obs()

    def step(self, a):
        self.t += 1
        self.pos = min(self.pos + 1, self.n) if a == 1 else max(self.pos - 1, 0)
        done = self.pos == self.n or self.t >= 20
        return self.obs(), float(self.pos == self.n), done


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.network = nn.Sequential(nn.Linear(obs_dim, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                     nn.Linear(64, n_actions))

    def forward(self, x):
        return self.network(x)


class ReplayBuffer:
    def __init__(self, size):
        self.size, self.data = size, []

    def add(self, *transition):
        self.data.append(transition)
        self.data = self.data[-self.size:]

    def sample(self, bs):
        batch = random.sample(self.data, bs)
        o, a, r, no, d = map(np.array, zip(*batch))
        t = lambda x, dt=torch.float32: torch.as_tensor(x, dtype=dt, device=device)
        return t(o), t(a, torch.long), t(r), t(no), t(d)


def linear_schedule(start_e, end_e, duration, t):
    return max(start_e + (end_e - start_e) / duration * t, end_e)


env = ChainEnv()
q_network = QNetwork(4, 2).to(device)
optimizer = torch.optim.Adam(q_network.parameters(), lr=args["learning_rate"])
target_network = QNetwork(4, 2).to(device)
target_network.load_state_dict(q_network.state_dict())
rb = ReplayBuffer(args["buffer_size"])

obs = env.reset()
for global_step in range(args["total_timesteps"]):
    epsilon = linear_schedule(args["start_e"], args["end_e"],
                              args["exploration_fraction"] * args["total_timesteps"], global_step)
    if random.random() < epsilon:
        action = random.randint(0, 1)
    else:
        action = int(torch.argmax(q_network(torch.as_tensor(obs, device=device)), dim=-1).item())
    next_obs, reward, done = env.step(action)
    rb.add(obs, action, reward, next_obs, float(done))
    obs = env.reset() if done else next_obs

    if global_step > args["learning_starts"]:
        if global_step % args["train_frequency"] == 0:
            o, a, r, no, d = rb.sample(args["batch_size"])
            with torch.no_grad():
                target_max, _ = target_network(no).max(dim=1)
                td_target = r + args["gamma"] * target_max * (1 - d)
            old_val = q_network(o).gather(1, a.unsqueeze(1)).squeeze()
            loss = F.mse_loss(td_target, old_val)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if global_step % 50 == 0:
                print(f"step {global_step} td_loss {loss.item():.4f} q {old_val.mean().item():.3f}")

        if global_step % args["target_network_frequency"] == 0:
            for target_param, q_param in zip(target_network.parameters(), q_network.parameters()):
                target_param.data.copy_(args["tau"] * q_param.data + (1.0 - args["tau"]) * target_param.data)
