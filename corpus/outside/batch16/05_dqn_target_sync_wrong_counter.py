# Report: https://github.com/shakedzy/tic_tac_toe/issues/1
# The Q-target network is supposed to be refreshed from the Q-network every N learning steps, but
# the test uses the replay-memory counter instead of the learn counter; with the way transitions are
# stored it never hits a multiple of N, so the target network keeps its initial weights forever.
import numpy as np
import torch
import torch.nn as nn

CFG = {"state_dim": 9, "n_actions": 9, "batch": 16, "gamma": 0.95, "lr": 1e-3,
       "memory_size": 500, "learn_steps": 60, "target_update": 10, "seed": 0}


class QNet(nn.Module):
    def __init__(self, s, a):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(s, 32), nn.ReLU(), nn.Linear(32, a))

    def forward(self, x):
        return self.net(x)


class ReplayMemory:
    def __init__(self, size):
        self.size = size
        self.items = []
        self.counter = 0

    def append(self, item):
        self.items.append(item)
        self.items = self.items[-self.size:]
        self.counter += 1

    def sample(self, n, rng):
        idx = rng.randint(0, len(self.items), n)
        s, a, r, s2, d = zip(*[self.items[i] for i in idx])
        return (torch.stack(s), torch.tensor(a), torch.tensor(r, dtype=torch.float32),
                torch.stack(s2), torch.tensor(d, dtype=torch.float32))


class QPlayer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.q_net = QNet(cfg["state_dim"], cfg["n_actions"])
        self.q_target = QNet(cfg["state_dim"], cfg["n_actions"])
        self.q_target.load_state_dict(self.q_net.state_dict())
        self.memory = ReplayMemory(cfg["memory_size"])
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=cfg["lr"])
        self.learn_counter = 0

    def add_memory(self, s, a, r, s2, done):
        self.memory.append((s, a, r, s2, done))

    def learn(self, rng):
        s, a, r, s2, d = self.memory.sample(self.cfg["batch"], rng)
        with torch.no_grad():
            target = r + self.cfg["gamma"] * (1 - d) * self.q_target(s2).max(1).values
        q = self.q_net(s).gather(1, a.unsqueeze(1)).squeeze(1)
        loss = nn.functional.smooth_l1_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.learn_counter += 1
        if self.memory.counter % self.cfg["target_update"] == 0:
            self.q_target.load_state_dict(self.q_net.state_dict())
        return loss.item()


def random_transition(rng, cfg):
    s = torch.tensor(rng.choice([-1.0, 0.0, 1.0], cfg["state_dim"]), dtype=torch.float32)
    s2 = torch.tensor(rng.choice([-1.0, 0.0, 1.0], cfg["state_dim"]), dtype=torch.float32)
    return s, int(rng.randint(cfg["n_actions"])), float(rng.choice([-1, 0, 1])), s2, float(rng.rand() < 0.2)


def main(cfg):
    torch.manual_seed(cfg["seed"])
    rng = np.random.RandomState(cfg["seed"])
    player = QPlayer(cfg)
    while player.memory.counter <= cfg["batch"]:  # learning starts once there is more than a batch
        player.add_memory(*random_transition(rng, cfg))
    for step in range(cfg["learn_steps"]):
        player.add_memory(*random_transition(rng, cfg))  # the player's move ...
        player.add_memory(*random_transition(rng, cfg))  # ... and the opponent's reply are stored,
        loss = player.learn(rng)                          # then one learning step
        if step % 20 == 0:
            print(f"learn step {step} loss {loss:.4f}")
    return player


if __name__ == "__main__":
    player = main(CFG)
