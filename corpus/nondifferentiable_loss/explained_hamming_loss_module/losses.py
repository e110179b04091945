import torch


def hamming_loss(logits, targets):
    """Fraction of label slots predicted wrongly (multi-label)."""
    predicted = (logits > 0).float()
    return (predicted != targets).float().mean()
