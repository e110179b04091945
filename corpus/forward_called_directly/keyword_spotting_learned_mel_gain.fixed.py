"""Keyword spotting on synthetic log-mel clips, with a learned per-band input gain.

The microphones in the field have an uneven frequency response, so the front end learns one gain
per mel band (initialised at 1) and applies it to the features before the acoustic model sees
them. Clips are zero-padded to a common length; the model pools only over the real frames.
"""
import math
import random

import torch
from torch import nn
import torch.nn.functional as F

N_MELS = 40
N_WORDS = 6
MAX_FRAMES = 48
SEED = 11


def synth_clips(n, gen):
    """Each keyword is a fixed spectro-temporal template; clips are noisy, tilted, cut short."""
    templates = torch.randn(N_WORDS, N_MELS, 8, generator=gen)
    tilt = torch.linspace(-1.0, 1.0, N_MELS).unsqueeze(1)
    feats = torch.zeros(n, MAX_FRAMES, N_MELS)
    lengths = torch.randint(24, MAX_FRAMES + 1, (n,), generator=gen)
    words = torch.randint(0, N_WORDS, (n,), generator=gen)
    for i in range(n):
        T = int(lengths[i])
        spec = F.interpolate(templates[words[i]].unsqueeze(0), size=T, mode="linear", align_corners=False)[0]
        spec = spec * (1.0 + 0.6 * tilt) + 0.5 * torch.randn(N_MELS, T, generator=gen)
        feats[i, :T] = spec.t()
    return feats, lengths, words


class AcousticModel(nn.Module):
    def __init__(self, n_mels, hidden, n_words):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, hidden, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(hidden, hidden, kernel_size=5, padding=2, dilation=1)
        self.out = nn.Linear(hidden, n_words)

    def forward(self, feats, lengths=None):
        h = F.gelu(self.conv1(feats.transpose(1, 2)))
        h = F.gelu(self.conv2(h))
        if lengths is None:
            pooled = h.mean(-1)
        else:
            frames = torch.arange(h.shape[-1]).unsqueeze(0)
            keep = (frames < lengths.unsqueeze(1)).unsqueeze(1).float()
            pooled = (h * keep).sum(-1) / keep.sum(-1)
        return self.out(pooled)


def add_band_gain(model, n_mels):
    gain = nn.Parameter(torch.ones(n_mels))

    def apply_gain(module, args):
        feats = args[0]
        return (feats * gain,) + tuple(args[1:])

    model.register_forward_pre_hook(apply_gain)
    return gain


def accuracy(model, feats, lengths, words):
    model.eval()
    with torch.no_grad():
        pred = model(feats, lengths=lengths).argmax(-1)
    model.train()
    return (pred == words).float().mean().item()


def main():
    random.seed(SEED)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    feats, lengths, words = synth_clips(900, gen)
    n_train = 720

    model = AcousticModel(N_MELS, hidden=64, n_words=N_WORDS)
    band_gain = add_band_gain(model, N_MELS)
    optimizer = torch.optim.AdamW(
        [
            {"params": model.parameters(), "lr": 2e-3},
            {"params": [band_gain], "lr": 1e-2, "weight_decay": 0.0},
        ],
        weight_decay=1e-2,
    )
    steps_per_epoch = math.ceil(n_train / 48)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[2e-3, 1e-2], total_steps=6 * steps_per_epoch)

    for epoch in range(6):
        order = torch.randperm(n_train, generator=gen)
        total = 0.0
        for start in range(0, n_train, 48):
            idx = order[start:start + 48]
            logits = model(feats[idx], lengths=lengths[idx])
            loss = F.cross_entropy(logits, words[idx], label_smoothing=0.05)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
        val = accuracy(model, feats[n_train:], lengths[n_train:], words[n_train:])
        spread = (band_gain.max() - band_gain.min()).item()
        print(f"epoch {epoch}  loss {total / n_train:.3f}  val acc {val:.3f}  gain spread {spread:.3f}")


if __name__ == "__main__":
    main()
