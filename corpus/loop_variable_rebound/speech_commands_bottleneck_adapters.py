# Keyword spotting: adapt a conv encoder trained on one speaker group to a new accent group with
# bottleneck adapters after every conv block (Houlsby-style), encoder weights frozen.
import random

import torch
from torch import nn
from torch.nn import functional as F

SEED = 7
N_MELS = 24
FRAMES = 40
N_WORDS = 6
ADAPTER_DIM = 8

random.seed(SEED)
torch.manual_seed(SEED)


def synth_batch(n, accent_shift=0):
    """Log-mel-like patches: each word is a diagonal sweep across mel bins, the accent moves it."""
    words = torch.randint(0, N_WORDS, (n,))
    x = 0.5 * torch.randn(n, 1, N_MELS, FRAMES)
    t = torch.arange(FRAMES)
    for i, w in enumerate(words.tolist()):
        start = (3 * w + accent_shift) % N_MELS
        slope = 0.2 + 0.1 * (w % 3)
        bins = (start + slope * t).long() % N_MELS
        x[i, 0, bins, t] += 2.0
    return x, words


def conv_block(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class Adapter(nn.Module):
    """Residual bottleneck applied channel-wise after a block."""

    def __init__(self, block, channels, bottleneck):
        super().__init__()
        self.block = block
        self.adapter_down = nn.Conv2d(channels, bottleneck, 1)
        self.adapter_up = nn.Conv2d(bottleneck, channels, 1)
        nn.init.zeros_(self.adapter_up.weight)
        nn.init.zeros_(self.adapter_up.bias)

    def forward(self, x):
        h = self.block(x)
        return h + self.adapter_up(F.relu(self.adapter_down(h)))


def build_encoder():
    return nn.Sequential(conv_block(1, 16), conv_block(16, 32), conv_block(32, 32))


def fit(encoder, head, params, steps, accent_shift, lr):
    opt = torch.optim.Adam(params, lr=lr)
    for step in range(steps):
        x, y = synth_batch(32, accent_shift)
        logits = head(encoder(x).mean(dim=(2, 3)))
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


@torch.no_grad()
def evaluate(encoder, head, accent_shift):
    encoder.eval()
    x, y = synth_batch(200, accent_shift)
    acc = (head(encoder(x).mean(dim=(2, 3))).argmax(1) == y).float().mean().item()
    encoder.train()
    return acc


encoder = build_encoder()
head = nn.Linear(32, N_WORDS)
loss = fit(encoder, head, list(encoder.parameters()) + list(head.parameters()), 25, 0, 3e-3)
print(f"source accent: loss {loss:.3f} acc {evaluate(encoder, head, 0):.3f}")
print(f"new accent before adaptation: acc {evaluate(encoder, head, 5):.3f}")

for name, block in encoder.named_children():
    channels = block[0].out_channels
    adapted = Adapter(block, channels, ADAPTER_DIM)
    block = adapted

for name, param in encoder.named_parameters():
    param.requires_grad_("adapter" in name)

trainable = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
loss = fit(encoder, head, trainable, 25, 5, 1e-2)
print(f"new accent after adaptation: loss {loss:.3f} acc {evaluate(encoder, head, 5):.3f}")
