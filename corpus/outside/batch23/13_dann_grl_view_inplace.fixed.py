# Report: https://github.com/pytorch/pytorch/issues/73604
# A custom autograd.Function that returns a view of its input fails at backward once the base
# of that view is modified in place: "Output 0 of ... is a view and its base or another view of
# its base has been modified inplace. This view was created inside a custom Function ...".
"""Domain-adversarial training (DANN) with a gradient reversal layer on synthetic shifted data."""

import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.alpha, None


class DANN(nn.Module):
    def __init__(self, in_dim=20, hidden=64, feat_dim=32, n_classes=3):
        super().__init__()
        self.feature = nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                     nn.Linear(hidden, feat_dim))
        self.label_clf = nn.Sequential(nn.ReLU(inplace=True), nn.Dropout(0.1),
                                       nn.Linear(feat_dim, n_classes))
        self.domain_clf = nn.Sequential(nn.Linear(feat_dim, hidden), nn.ReLU(),
                                        nn.Linear(hidden, 2))

    def forward(self, x, alpha=1.0):
        feat = self.feature(x)
        domain_logits = self.domain_clf(GradReverse.apply(feat, alpha))
        class_logits = self.label_clf(feat)
        return class_logits, domain_logits


def make_domain(n, shift, rng):
    w = np.random.default_rng(3).normal(size=(20, 3))
    x = rng.normal(size=(n, 20)).astype(np.float32)
    y = (x @ w).argmax(1)
    x = x + shift
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y)


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    acc = (model(x)[0].argmax(1) == y).float().mean().item()
    model.train()
    return acc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    xs, ys = make_domain(1536, 0.0, rng)
    xt, yt = make_domain(1536, 0.8, rng)
    src = DataLoader(TensorDataset(xs, ys), batch_size=args.batch_size, shuffle=True, drop_last=True)
    tgt = DataLoader(TensorDataset(xt), batch_size=args.batch_size, shuffle=True, drop_last=True)

    model = DANN()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_iters = args.epochs * min(len(src), len(tgt))
    it = 0
    for epoch in range(args.epochs):
        stats = np.zeros(3)
        for (x_s, y_s), (x_t,) in zip(src, tgt):
            progress = it / n_iters
            alpha = 2.0 / (1.0 + math.exp(-10 * progress)) - 1.0
            for g in optimizer.param_groups:
                g["lr"] = args.lr / (1 + 10 * progress) ** 0.75

            x = torch.cat([x_s, x_t])
            d = torch.cat([torch.zeros(len(x_s)), torch.ones(len(x_t))]).long()
            class_logits, domain_logits = model(x, alpha)
            cls_loss = F.cross_entropy(class_logits[: len(x_s)], y_s)
            dom_loss = F.cross_entropy(domain_logits, d)
            loss = cls_loss + dom_loss

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats += [cls_loss.item(), dom_loss.item(), 1]
            it += 1
        print(f"epoch {epoch}: cls {stats[0] / stats[2]:.3f} dom {stats[1] / stats[2]:.3f} "
              f"src acc {accuracy(model, xs, ys):.3f} tgt acc {accuracy(model, xt, yt):.3f}")


if __name__ == "__main__":
    main()
