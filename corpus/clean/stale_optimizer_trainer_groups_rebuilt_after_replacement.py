"""A trainer that stores its optimizer settings, replaces its network when resumed, and builds
its parameter groups from the network it holds at that moment."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_network(hidden):
    return nn.Sequential(nn.Linear(8, hidden), nn.ReLU(), nn.Linear(hidden, 2))


class Trainer:
    def __init__(self, hidden):
        self.network = make_network(hidden)
        self.optimizer_params = {"params": self.network.parameters(), "lr": 0.05, "momentum": 0.9}
        self.optimizer = None

    def resume(self, state, hidden):
        self.network = make_network(hidden)
        self.network.load_state_dict(state)
        # the stored groups point at the old network: read them again from the new one
        self.optimizer_params = {"params": self.network.parameters(), "lr": 0.05, "momentum": 0.9}

    def fit(self, x, y, steps):
        self.optimizer = torch.optim.SGD([self.optimizer_params])
        for _ in range(steps):
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.network(x), y)
            loss.backward()
            self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
x = torch.randn(32, 8)
y = torch.randint(0, 2, (32,))
first = Trainer(hidden=16)
print(first.fit(x, y, steps=5))
second = Trainer(hidden=16)
second.resume(first.network.state_dict(), hidden=16)
print(second.fit(x, y, steps=5))
