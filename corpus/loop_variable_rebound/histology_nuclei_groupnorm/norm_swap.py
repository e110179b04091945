"""Normalization helpers for training with very small batches."""
from torch import nn


def groups_for(channels, preferred=8):
    g = min(preferred, channels)
    while channels % g:
        g -= 1
    return g


def batchnorm_to_groupnorm(model: nn.Module, preferred_groups: int = 8) -> nn.Module:
    """Replace every BatchNorm2d by a GroupNorm over the same channels.

    With two tiles per batch the batch statistics are mostly noise; GroupNorm normalizes each
    sample on its own.
    """
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            m = nn.GroupNorm(groups_for(m.num_features, preferred_groups), m.num_features, eps=m.eps, affine=True)
    return model


def count_norms(model: nn.Module) -> dict:
    counts = {}
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            counts[type(m).__name__] = counts.get(type(m).__name__, 0) + 1
    return counts
