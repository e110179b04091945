"""Deep ensemble for credit-default scoring on synthetic applicant records.

Eight MLP members are trained at once: their weights are stacked with torch.func.stack_module_state
and the members are evaluated in parallel with vmap, each on its own bootstrap resample of the
batch. The ensemble's averaged probability is scored with AUC-like pairwise ranking on held-out
applicants.
"""
import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import vmap
from torch.func import functional_call, stack_module_state


@dataclass
class Config:
    n_features: int = 12
    hidden: tuple = (48, 24)
    norm: str = "batch"
    bn_momentum: float = 0.05
    dropout: float = 0.0
    members: int = 8
    lr: float = 3e-3
    batch_size: int = 128
    epochs: int = 6
    seed: int = 2024


def make_norm(cfg, width):
    if cfg.norm == "batch":
        return nn.BatchNorm1d(width, momentum=cfg.bn_momentum, track_running_stats=False)
    if cfg.norm == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


class ScoreMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        layers, width = [], cfg.n_features
        for h in cfg.hidden:
            layers += [nn.Linear(width, h), make_norm(cfg, h), nn.SiLU(), nn.Dropout(cfg.dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(-1)


def synthetic_applicants(cfg, n):
    g = torch.Generator().manual_seed(cfg.seed)
    x = torch.randn(n, cfg.n_features, generator=g)
    debt_ratio, utilisation, late_payments = x[:, 0], x[:, 1], x[:, 2].abs()
    logit = 1.2 * debt_ratio + 0.8 * utilisation * (utilisation > 0) + 0.9 * late_payments - 1.5
    y = torch.bernoulli(torch.sigmoid(logit), generator=g)
    return x, y


def ranking_auc(score, y):
    pos, neg = score[y == 1], score[y == 0]
    return (pos[:, None] > neg[None, :]).float().mean().item()


def train(cfg):
    torch.manual_seed(cfg.seed)
    x, y = synthetic_applicants(cfg, 3000)
    x_tr, y_tr, x_te, y_te = x[:2400], y[:2400], x[2400:], y[2400:]

    members = [ScoreMLP(cfg) for _ in range(cfg.members)]
    weights, _ = stack_module_state(members)
    template = copy.deepcopy(members[0])

    def member_logits(w, inputs):
        return functional_call(template, w, (inputs,))

    ensemble = vmap(member_logits, in_dims=(0, 0))
    optimizer = torch.optim.Adam(weights.values(), lr=cfg.lr)

    for epoch in range(cfg.epochs):
        template.train()
        perm = torch.randperm(len(x_tr))
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            boot = idx[torch.randint(0, len(idx), (cfg.members, len(idx)))]
            logits = ensemble(weights, x_tr[boot])
            loss = F.binary_cross_entropy_with_logits(logits, y_tr[boot])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        template.eval()
        with torch.no_grad():
            probs = torch.sigmoid(ensemble(weights, x_te.expand(cfg.members, -1, -1))).mean(0)
        print(f"epoch {epoch}: train loss {loss.item():.3f}  test AUC {ranking_auc(probs, y_te):.3f}")


if __name__ == "__main__":
    train(Config())
