"""Adversarial debiasing of a candidate-screening score: the adversary tries to recover the
applicant's gender from the shared representation through a gradient flip. Written as a
train_step function that does the forward, the backward and the step."""
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

cfg = SimpleNamespace(seed=2, n=1500, d=10, hidden=32, batch=100, epochs=5, lr=2e-3, dropout=0.2, lam=0.7)
torch.manual_seed(cfg.seed)


class GradFlip(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g.neg() * ctx.lam, None


def grad_flip(x, lam):
    return GradFlip.apply(x, lam)


def applicants(n, d):
    gender = torch.randint(0, 2, (n,)).float()
    x = torch.randn(n, d)
    x[:, 0] += 0.9 * gender                      # career-gap proxy
    skill = x[:, 1] + 0.5 * x[:, 2] - 0.4 * x[:, 3]
    hired = (skill + 0.6 * gender + 0.3 * torch.randn(n) > 0.5).float()
    return x, hired, gender


encoder = nn.Sequential(nn.Linear(cfg.d, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, cfg.hidden))
scorer = nn.Sequential(nn.Linear(cfg.hidden, 16), nn.ReLU(), nn.Linear(16, 1))
adversary = nn.Sequential(nn.Linear(cfg.hidden, 16), nn.ReLU(), nn.Linear(16, 1))
params = list(encoder.parameters()) + list(scorer.parameters()) + list(adversary.parameters())
optimizer = torch.optim.Adam(params, lr=cfg.lr)


def train_step(x, hired, gender):
    rep = encoder(x)
    adv_in = grad_flip(rep, cfg.lam)
    gender_logit = adversary(adv_in).squeeze(1)
    rep = F.dropout(rep, p=cfg.dropout, training=True, inplace=True)
    hire_logit = scorer(rep).squeeze(1)
    task = F.binary_cross_entropy_with_logits(hire_logit, hired)
    adv = F.binary_cross_entropy_with_logits(gender_logit, gender)
    optimizer.zero_grad()
    (task + adv).backward()
    optimizer.step()
    return task.item(), adv.item()


x, hired, gender = applicants(cfg.n, cfg.d)
for epoch in range(cfg.epochs):
    perm = torch.randperm(cfg.n)
    for i in range(0, cfg.n, cfg.batch):
        idx = perm[i:i + cfg.batch]
        task, adv = train_step(x[idx], hired[idx], gender[idx])
    with torch.no_grad():
        pred = scorer(encoder(x)).squeeze(1) > 0
        gap = (pred[gender == 1].float().mean() - pred[gender == 0].float().mean()).abs().item()
    print(f"epoch {epoch}: task {task:.3f} adversary {adv:.3f} selection-rate gap {gap:.3f}")
