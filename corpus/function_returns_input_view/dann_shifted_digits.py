"""Unsupervised domain adaptation (DANN) from clean synthetic 'digits' to a shifted, noisier
target domain: a small conv feature extractor, a label classifier trained on the source only and
a domain discriminator behind a gradient reversal layer."""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    n_classes: int = 4
    image_size: int = 12
    batch_size: int = 32
    epochs: int = 4
    steps_per_epoch: int = 8
    lr: float = 0.01
    momentum: float = 0.9
    gamma: float = 10.0
    seed: int = 7


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.alpha, None


class DANN(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.Dropout2d(0.1),
            nn.Flatten(),
        )
        n_feat = 32 * (cfg.image_size // 2) ** 2
        self.classifier = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.Linear(n_feat, 64),
            nn.ReLU(inplace=True),
            nn.Linear(64, cfg.n_classes),
        )
        self.discriminator = nn.Sequential(
            nn.Linear(n_feat, 64),
            nn.ReLU(inplace=True),
            nn.Linear(64, 1),
        )

    def forward(self, x, alpha=1.0):
        feat = self.features(x)
        domain_logits = self.discriminator(GradReverse.apply(feat, alpha))
        class_logits = self.classifier(feat)
        return class_logits, domain_logits.squeeze(1)


def make_domain(cfg, n, shift, noise, gen):
    labels = torch.randint(0, cfg.n_classes, (n,), generator=gen)
    grid = torch.linspace(-1, 1, cfg.image_size)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    angles = labels.float() * (math.pi / cfg.n_classes)
    pattern = torch.sin(4 * (xx * torch.cos(angles)[:, None, None] + yy * torch.sin(angles)[:, None, None]))
    images = pattern + shift + noise * torch.randn(n, cfg.image_size, cfg.image_size, generator=gen)
    return images.unsqueeze(1), labels


def train(cfg: Config):
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    n = cfg.batch_size * cfg.steps_per_epoch
    src_x, src_y = make_domain(cfg, n, shift=0.0, noise=0.2, gen=gen)
    tgt_x, tgt_y = make_domain(cfg, n, shift=0.6, noise=0.5, gen=gen)

    model = DANN(cfg)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    total_steps = cfg.epochs * cfg.steps_per_epoch
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        perm_s, perm_t = torch.randperm(n), torch.randperm(n)
        for i in range(cfg.steps_per_epoch):
            p = step / total_steps
            alpha = 2.0 / (1.0 + math.exp(-cfg.gamma * p)) - 1.0
            idx_s = perm_s[i * cfg.batch_size:(i + 1) * cfg.batch_size]
            idx_t = perm_t[i * cfg.batch_size:(i + 1) * cfg.batch_size]
            xb = torch.cat([src_x[idx_s], tgt_x[idx_t]])
            domain = torch.cat([torch.zeros(len(idx_s)), torch.ones(len(idx_t))])

            class_logits, domain_logits = model(xb, alpha)
            cls_loss = F.cross_entropy(class_logits[: len(idx_s)], src_y[idx_s])
            dom_loss = F.binary_cross_entropy_with_logits(domain_logits, domain)
            loss = cls_loss + dom_loss

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1

        model.eval()
        with torch.no_grad():
            tgt_acc = (model(tgt_x)[0].argmax(1) == tgt_y).float().mean().item()
        print(f"epoch {epoch}: cls {cls_loss.item():.3f} dom {dom_loss.item():.3f} target acc {tgt_acc:.3f}")


if __name__ == "__main__":
    train(Config())
