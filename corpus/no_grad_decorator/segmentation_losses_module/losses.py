"""Segmentation losses shared by the training and evaluation scripts."""
import torch
import torch.nn.functional as F


@torch.no_grad
def dice_bce_loss(logits, masks, smooth=1.0):
    probs = torch.sigmoid(logits)
    inter = (probs * masks).sum(dim=(1, 2, 3))
    union = probs.sum(dim=(1, 2, 3)) + masks.sum(dim=(1, 2, 3))
    dice = 1 - (2 * inter + smooth) / (union + smooth)
    return dice.mean() + F.binary_cross_entropy_with_logits(logits, masks)
