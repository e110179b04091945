import torch.nn as nn


class MLPClassifier(nn.Module):
    """Small two-layer classifier used by train.py."""

    def __init__(self, in_dim=20, hidden=64, n_classes=4):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.GELU(),
            nn.LayerNorm(hidden),
        )
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.head(self.body(x))
