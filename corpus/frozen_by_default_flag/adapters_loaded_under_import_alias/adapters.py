"""Bottleneck adapters (down-projection, nonlinearity, up-projection, residual) inserted after
the blocks of a frozen encoder, and a loader for adapter weights saved by another run."""
import torch
from torch import nn


class Adapter(nn.Module):
    def __init__(self, dim, bottleneck):
        super().__init__()
        self.down = nn.Linear(dim, bottleneck)
        self.up = nn.Linear(bottleneck, dim)

    def forward(self, x):
        return x + self.up(torch.relu(self.down(x)))


def load_adapter(blocks, weights, bottleneck=8, is_trainable=False):
    """Follow each block of ``blocks`` with an adapter holding the saved ``weights``."""
    wrapped = []
    for i, block in enumerate(blocks):
        adapter = Adapter(block[0].out_features, bottleneck)
        adapter.load_state_dict(weights[i])
        for p in adapter.parameters():
            p.requires_grad_(is_trainable)
        wrapped.append(nn.Sequential(block, adapter))
    return nn.ModuleList(wrapped)
