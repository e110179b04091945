"""Convolutional backbone for few-shot keyword spotting on log-mel patches."""
from torch import nn
from torch.nn import BatchNorm2d as BN


class ConvBlock(nn.Module):
    def __init__(self, in_ch, out_ch, pool=True):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
        self.norm = BN(out_ch, eps=1e-3, track_running_stats=False)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(self.act(self.norm(self.conv(x))))


class KeywordNet(nn.Module):
    """Four conv blocks over a (1, mels, frames) patch, then a linear n-way classifier."""

    def __init__(self, n_way, width=16):
        super().__init__()
        self.blocks = nn.Sequential(
            ConvBlock(1, width),
            ConvBlock(width, width),
            ConvBlock(width, width),
            ConvBlock(width, width, pool=False),
        )
        self.classify = nn.Linear(width, n_way)

    def forward(self, spectrogram):
        h = self.blocks(spectrogram)
        return self.classify(h.amax(dim=(-2, -1)))
