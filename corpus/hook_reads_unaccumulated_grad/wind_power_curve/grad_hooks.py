"""Gradient hooks shared by the team's regression models."""
import torch

GRAD_CLIP_PER_LAYER = 1.0


def clip_layer_gradients(module, grad_input, grad_output):
    for param in module.parameters():
        norm = param.grad.norm()
        if norm > GRAD_CLIP_PER_LAYER:
            param.grad.mul_(GRAD_CLIP_PER_LAYER / norm)


def log_activation_grads(name, store):
    def hook(module, grad_input, grad_output):
        store[name] = grad_output[0].abs().mean().item()

    return hook
