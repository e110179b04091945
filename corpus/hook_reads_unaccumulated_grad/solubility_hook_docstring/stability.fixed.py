"""Training-stability helpers shared by the property-prediction models."""
import torch
from torch import nn

MAX_LAYER_NORM = 0.5


def clip_layer_grad(param):
    """Clip each parameter's gradient of a layer to MAX_LAYER_NORM (per-layer clipping keeps one
    noisy layer from dominating the global norm)."""
    norm = torch.linalg.vector_norm(param.grad)
    if norm > MAX_LAYER_NORM:
        param.grad.mul_(MAX_LAYER_NORM / (norm + 1e-6))


def _attach(m):
    if isinstance(m, nn.Linear):
        for parameter in m.parameters():
            parameter.register_post_accumulate_grad_hook(clip_layer_grad)


def enable_layerwise_clipping(model):
    model.apply(_attach)
    return model


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
