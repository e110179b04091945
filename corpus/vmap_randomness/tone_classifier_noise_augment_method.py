# A small 1-D convolutional classifier learns to tell three synthetic tones apart in short
# audio clips. Each training batch goes through an augmentation object that, clip by clip,
# applies a random gain and mixes in white noise at a random signal-to-noise ratio; the
# per-clip function is vectorised over the batch.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import vmap as vectorize

RATE, SAMPLES = 800, 200
FREQS = (60.0, 110.0, 170.0)


def make_clips(n, generator):
    labels = torch.randint(0, len(FREQS), (n,), generator=generator)
    t = torch.arange(SAMPLES) / RATE
    freq = torch.tensor(FREQS)[labels, None]
    phase = torch.rand(n, 1, generator=generator) * 2 * math.pi
    return torch.sin(2 * math.pi * freq * t + phase), labels


class ClipAugment:
    def __init__(self, min_snr_db=0.0, max_snr_db=20.0, max_gain_db=6.0):
        self.min_snr_db, self.max_snr_db, self.max_gain_db = min_snr_db, max_snr_db, max_gain_db

    def augment_one(self, clip):
        gain_db = (torch.rand(()) * 2 - 1) * self.max_gain_db
        clip = clip * 10 ** (gain_db / 20)
        snr_db = self.min_snr_db + torch.rand(()) * (self.max_snr_db - self.min_snr_db)
        noise = torch.randn_like(clip)
        scale = clip.pow(2).mean().sqrt() / (noise.pow(2).mean().sqrt() * 10 ** (snr_db / 20))
        return clip + scale * noise

    def __call__(self, clips):
        return vectorize(self.augment_one)(clips)


torch.manual_seed(5)
gen = torch.Generator().manual_seed(5)
train_x, train_y = make_clips(400, gen)
test_x, test_y = make_clips(200, gen)

model = nn.Sequential(
    nn.Conv1d(1, 8, kernel_size=9, stride=2), nn.ReLU(),
    nn.Conv1d(8, 16, kernel_size=9, stride=2), nn.ReLU(),
    nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, len(FREQS)),
)
augment = ClipAugment()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(4):
    order = torch.randperm(len(train_x))
    for i in range(0, len(order), 50):
        idx = order[i:i + 50]
        clips = augment(train_x[idx])
        loss = F.cross_entropy(model(clips.unsqueeze(1)), train_y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        acc = (model(test_x.unsqueeze(1)).argmax(1) == test_y).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f} test accuracy {acc:.3f}")
