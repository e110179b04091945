"""MAML for few-shot dose-response regression: each task is a new cell line, a handful of
(log dose, viability) measurements; the meta-learned MLP adapts to the full sigmoid curve.

Model and optimisation settings live in dataclasses, as in the lab's other experiments.
"""
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call, grad


@dataclass
class ModelConfig:
    hidden: int = 64
    depth: int = 2
    track_running_stats: bool = True
    bn_momentum: float = 0.1


@dataclass
class MetaConfig:
    inner_lr: float = 0.01
    inner_steps: int = 3
    outer_lr: float = 3e-3
    tasks_per_batch: int = 4
    iterations: int = 40
    shots: int = 8
    queries: int = 16


@dataclass
class Experiment:
    model: ModelConfig = field(default_factory=ModelConfig)
    meta: MetaConfig = field(default_factory=MetaConfig)
    seed: int = 101


def build_model(cfg: ModelConfig) -> nn.Sequential:
    layers, width = [], 1
    for _ in range(cfg.depth):
        layers += [
            nn.Linear(width, cfg.hidden),
            nn.BatchNorm1d(cfg.hidden, momentum=cfg.bn_momentum, track_running_stats=cfg.track_running_stats),
            nn.Tanh(),
        ]
        width = cfg.hidden
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def cell_line():
    ic50 = torch.empty(1).uniform_(-2, 2)
    hill = torch.empty(1).uniform_(0.5, 3.0)
    top, bottom = torch.empty(1).uniform_(0.8, 1.0), torch.empty(1).uniform_(0.0, 0.3)

    def measure(n):
        dose = torch.empty(n, 1).uniform_(-4, 4)
        viability = bottom + (top - bottom) * torch.sigmoid(-hill * (dose - ic50))
        return dose, viability + 0.03 * torch.randn(n, 1)

    return measure


def run(exp: Experiment):
    torch.manual_seed(exp.seed)
    net = build_model(exp.model)
    opt = torch.optim.Adam(net.parameters(), lr=exp.meta.outer_lr)
    m = exp.meta

    def support_mse(params, x, y):
        return (functional_call(net, params, (x,)) - y).pow(2).mean()

    net.train()
    for it in range(1, m.iterations + 1):
        params = dict(net.named_parameters())
        losses = []
        for _ in range(m.tasks_per_batch):
            measure = cell_line()
            xs, ys = measure(m.shots)
            xq, yq = measure(m.queries)
            fast = params
            for _ in range(m.inner_steps):
                g = grad(support_mse)(fast, xs, ys)
                fast = {k: w - m.inner_lr * g[k] for k, w in fast.items()}
            losses.append((functional_call(net, fast, (xq,)) - yq).pow(2).mean())
        loss = torch.stack(losses).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 10 == 0:
            print(f"iteration {it}: query MSE after adaptation {loss.item():.4f}")


if __name__ == "__main__":
    run(Experiment())
