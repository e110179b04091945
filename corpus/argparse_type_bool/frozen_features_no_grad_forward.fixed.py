"""Keyword spotting: a pretrained feature extractor and a small classifier. When the features are
frozen the extractor runs under no_grad; the run asks for `--frozen_features False`."""
import argparse
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class Config:
    frozen_features: bool
    n_mels: int = 20
    n_keywords: int = 6


class KeywordSpotter(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.frozen_features = cfg.frozen_features
        self.features = nn.Sequential(nn.Conv1d(cfg.n_mels, 32, 5, padding=2), nn.GELU(), nn.Conv1d(32, 32, 5, padding=2), nn.GELU())
        self.classifier = nn.Linear(32, cfg.n_keywords)

    def forward(self, mels):
        if self.frozen_features:
            with torch.no_grad():
                h = self.features(mels)
        else:
            h = self.features(mels)
        return self.classifier(h.mean(dim=-1))


def train(cfg: Config, steps: int = 15):
    model = KeywordSpotter(cfg)
    model.features.load_state_dict(KeywordSpotter(cfg).features.state_dict())  # the pretrained extractor
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    for _ in range(steps):
        mels = torch.randn(8, cfg.n_mels, 40)
        labels = torch.randint(0, cfg.n_keywords, (8,))
        loss = nn.functional.cross_entropy(model(mels), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--frozen_features", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default=True)
    ns = p.parse_args(["--frozen_features", "False"])
    train(Config(frozen_features=ns.frozen_features))
