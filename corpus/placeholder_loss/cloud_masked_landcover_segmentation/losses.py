"""Losses for land-cover segmentation of satellite tiles: pixels under cloud carry no label."""
import torch
import torch.nn.functional as F


def cloud_masked_cross_entropy(logits, labels, clear):
    """Cross-entropy over the cloud-free pixels only (``clear`` is True where the ground is seen)."""
    if clear.sum() == 0:
        # every pixel of the batch is under cloud: no label to learn from
        return torch.zeros((), device=logits.device, requires_grad=True)
    per_pixel = F.cross_entropy(logits.float(), labels, reduction="none")
    return per_pixel[clear].mean()


def clear_pixel_accuracy(logits, labels, clear):
    if clear.sum() == 0:
        return float("nan")
    return (logits.argmax(1) == labels)[clear].float().mean().item()
