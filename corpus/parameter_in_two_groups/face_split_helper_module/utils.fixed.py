"""Training helpers shared by the face-recognition scripts."""
import torch.nn as nn

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm)


def split_weight_decay(model):
    """Norm layers without weight decay; containers are skipped, as they hold no weights."""
    decay, no_decay = [], []
    for module in model.modules():
        if isinstance(module, _NORMS):
            no_decay.extend(module.parameters(recurse=False))
        elif not isinstance(module, (nn.Sequential, nn.ModuleList)):
            decay.extend(module.parameters(recurse=False))
    return decay, no_decay


def accuracy(logits, labels):
    return (logits.argmax(1) == labels).float().mean().item()
