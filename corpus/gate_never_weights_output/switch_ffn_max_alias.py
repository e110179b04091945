"""Switch-style feed-forward block (top-1 routing over max probability) in a small regressor."""
import torch as T
import torch.nn as nn
import torch.nn.functional as F

T.manual_seed(2)


class SwitchFFN(nn.Module):
    def __init__(self, d, n_experts=2):
        super().__init__()
        self.gate = nn.Linear(d, n_experts)
        self.experts = nn.ModuleList(nn.Linear(d, d) for _ in range(n_experts))

    def forward(self, x):
        probs = F.softmax(self.gate(x), dim=-1)
        top_p, route = T.max(probs, dim=1)
        y = T.zeros_like(x)
        for i, expert in enumerate(self.experts):
            sel = T.nonzero(route == i).flatten()
            y[sel] = expert(x[sel])
        return y


class Regressor(nn.Module):
    def __init__(self, d=10):
        super().__init__()
        self.inp = nn.Linear(4, d)
        self.ffn = SwitchFFN(d)
        self.out = nn.Linear(d, 1)

    def forward(self, x):
        h = F.relu(self.inp(x))
        return self.out(h + self.ffn(h))


def train(model, steps=25):
    opt = T.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        x = T.randn(32, 4)
        y = (x ** 2).sum(1, keepdim=True)
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


print("mse", train(Regressor()))
