"""Sepsis risk from ICU vitals (synthetic cohort) with per-layer Gaussian gradient noise.

The hospital's privacy review asked for noisy gradients on every layer of the risk model, so a
noise hook is attached to each linear layer; the noise scale comes from the privacy config.
"""
from dataclasses import dataclass, field
import random

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

VITALS = ["heart_rate", "resp_rate", "temp", "sbp", "dbp", "spo2", "lactate", "wbc", "age", "gcs"]


@dataclass
class PrivacyConfig:
    noise_multiplier: float = 0.6
    max_grad_norm: float = 1.0


@dataclass
class TrainConfig:
    hidden: tuple = (64, 32)
    lr: float = 5e-3
    epochs: int = 6
    batch_size: int = 128
    seed: int = 11
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)


def synthetic_cohort(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, len(VITALS), generator=g)
    score = 0.9 * x[:, 0] + 0.7 * x[:, 1] - 0.8 * x[:, 3] + 1.2 * x[:, 6] - 0.5 * x[:, 9]
    risk = torch.sigmoid(score - 0.5 + 0.3 * torch.randn(n, generator=g))
    y = torch.bernoulli(risk, generator=g)
    return x, y


def build_model(cfg):
    layers, width = [], len(VITALS)
    for h in cfg.hidden:
        layers += [nn.Linear(width, h), nn.SiLU()]
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def make_noise_hook(privacy):
    std = privacy.noise_multiplier * privacy.max_grad_norm

    def hook(module, grad_input, grad_output):
        for param in module.parameters():
            noise = torch.randn_like(param.grad) * std
            param.grad.add_(noise / 128)

    return hook


def attach_noise(model, privacy):
    handles = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            handles.append(layer.register_full_backward_hook(make_noise_hook(privacy)))
    return handles


def auroc(scores, labels):
    pos, neg = scores[labels == 1], scores[labels == 0]
    return (pos[:, None] > neg[None, :]).float().mean().item()


def run(cfg):
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    x, y = synthetic_cohort(4000, cfg.seed)
    train = TensorDataset(x[:3200], y[:3200])
    loader = DataLoader(train, batch_size=cfg.batch_size, shuffle=True)

    model = build_model(cfg)
    handles = attach_noise(model, cfg.privacy)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    criterion = nn.BCEWithLogitsLoss()

    for epoch in range(cfg.epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb).squeeze(1), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * xb.shape[0]
        with torch.no_grad():
            auc = auroc(model(x[3200:]).squeeze(1), y[3200:])
        print(f"epoch {epoch + 1}: train loss {total / len(train):.4f}, held-out AUROC {auc:.3f}")

    for h in handles:
        h.remove()
    return model


if __name__ == "__main__":
    run(TrainConfig())
