# Correct: the towers' optimizer is built from their layer groups only, and the temperature on the
# model has an optimizer of its own (plain SGD, a learning rate of its own), stepped every batch.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoTower(nn.Module):
    def __init__(self, d_a=20, d_b=16, d=32):
        super().__init__()
        self.tower_a = nn.Sequential(nn.Linear(d_a, 64), nn.GELU(), nn.Linear(64, d))
        self.tower_b = nn.Sequential(nn.Linear(d_b, 64), nn.GELU(), nn.Linear(64, d))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, a, b):
        za = F.normalize(self.tower_a(a), dim=-1)
        zb = F.normalize(self.tower_b(b), dim=-1)
        return self.logit_scale.exp() * za @ zb.t()


def make_optimizer(layer_groups, lrs):
    return torch.optim.AdamW([{"params": g.parameters(), "lr": lr} for g, lr in zip(layer_groups, lrs)], weight_decay=0.01)


def train(steps=30):
    torch.manual_seed(1)
    model = TwoTower()
    optimizer = make_optimizer([model.tower_a, model.tower_b], [1e-3, 5e-4])
    temperature_opt = torch.optim.SGD([model.logit_scale], lr=1e-2)
    proj = torch.randn(20, 16)
    for step in range(steps):
        a = torch.randn(64, 20)
        b = a @ proj + 0.1 * torch.randn(64, 16)
        logits = model(a, b)
        target = torch.arange(64)
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
        optimizer.zero_grad()
        temperature_opt.zero_grad()
        loss.backward()
        optimizer.step()
        temperature_opt.step()
        if step % 10 == 0:
            print(step, loss.item(), model.logit_scale.item())


if __name__ == "__main__":
    train()
