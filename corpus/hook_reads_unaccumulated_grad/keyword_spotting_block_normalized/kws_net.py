"""Small CNN keyword spotter over log-mel patches (n_mels x frames)."""
import torch
from torch import nn


class KeywordNet(nn.Module):
    """Two conv blocks and a linear classifier. Each block's gradient is normalised to unit norm
    (block-normalised gradient descent), so no block's step size depends on its depth."""

    def __init__(self, n_keywords, n_mels=20, width=16, normalize_blocks=True):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d((4, 4))
        self.classifier = nn.Linear(2 * width * 16, n_keywords)
        if normalize_blocks:
            for block in (self.conv1, self.conv2, self.classifier):
                block.register_full_backward_hook(self._block_normalize)

    @staticmethod
    def _block_normalize(module, grad_input, grad_output):
        for weight in module.parameters():
            weight.grad.div_(weight.grad.norm().clamp_min(1e-8))

    def forward(self, spec):
        h = self.conv2(nn.functional.max_pool2d(self.conv1(spec.unsqueeze(1)), 2))
        return self.classifier(self.pool(h).flatten(1))
