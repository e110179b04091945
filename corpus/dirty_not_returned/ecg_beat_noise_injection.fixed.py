# ECG beat classification (normal / premature / bundle-branch) on synthetic single-lead beats.
# Training-time noise injection is done in place on the conv features to keep peak memory low.
import math

import torch
from torch import nn
from torch.autograd import Function
from torch.nn import functional as F

torch.manual_seed(3)

N_BEATS = 1200
BEAT_LEN = 128
N_CLASSES = 3
BATCH = 64
EPOCHS = 3
LR = 1e-2
NOISE_SNR_DB = 20.0


class InjectNoise_(Function):
    """Adds white noise at a given SNR to the features, in the features' own storage."""

    @staticmethod
    def forward(ctx, feats, snr_db, seen):
        power = feats.detach().pow(2).mean(dim=(1, 2), keepdim=True)
        sigma = torch.sqrt(power / (10.0 ** (snr_db / 10.0)))
        feats.add_(torch.randn_like(feats) * sigma)
        seen.add_(feats.shape[0])
        ctx.mark_dirty(feats)
        ctx.mark_non_differentiable(sigma)
        return feats, sigma

    @staticmethod
    def backward(ctx, grad_feats, grad_sigma):
        return grad_feats, None, None


class BeatNet(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, kernel_size=7, padding=3)
        self.conv2 = nn.Conv1d(channels, 2 * channels, kernel_size=5, padding=2)
        self.pool = nn.MaxPool1d(4)
        self.classifier = nn.Linear(2 * channels, N_CLASSES)
        self.register_buffer("beats_seen", torch.zeros((), dtype=torch.long))
        self.last_sigma = None

    def forward(self, beat):
        h = self.pool(F.gelu(self.conv1(beat)))
        h = self.conv2(h)
        if self.training:
            h, sigma = InjectNoise_.apply(h, NOISE_SNR_DB, self.beats_seen)
            self.last_sigma = sigma.mean().item()
        h = F.gelu(h).mean(dim=-1)
        return self.classifier(h)


def synth_beats(n, length):
    t = torch.linspace(-1.0, 1.0, length)
    labels = torch.randint(0, N_CLASSES, (n,))
    width = torch.where(labels == 2, 0.09, 0.04)[:, None]
    shift = torch.where(labels == 1, -0.25, 0.0)[:, None] + 0.03 * torch.randn(n, 1)
    qrs = torch.exp(-((t[None] - shift) ** 2) / (2 * width ** 2))
    p_wave = 0.15 * torch.exp(-((t[None] - shift + 0.35) ** 2) / 0.005) * (labels != 1)[:, None]
    t_wave = 0.3 * torch.exp(-((t[None] - shift - 0.4) ** 2) / 0.02)
    baseline = 0.1 * torch.sin(2 * math.pi * torch.rand(n, 1) + 3 * t[None])
    x = qrs + p_wave + t_wave + baseline + 0.03 * torch.randn(n, length)
    return x.unsqueeze(1), labels


def batches(x, y, size, shuffle):
    order = torch.randperm(len(x)) if shuffle else torch.arange(len(x))
    for i in range(0, len(x), size):
        idx = order[i:i + size]
        yield x[idx], y[idx]


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    correct = sum((model(xb).argmax(-1) == yb).sum().item() for xb, yb in batches(x, y, 256, False))
    model.train()
    return correct / len(x)


beats, labels = synth_beats(N_BEATS, BEAT_LEN)
train_x, train_y = beats[:1000], labels[:1000]
test_x, test_y = beats[1000:], labels[1000:]

model = BeatNet()
opt = torch.optim.Adam(model.parameters(), lr=LR)
print(f"untrained accuracy: {accuracy(model, test_x, test_y):.3f}")

for epoch in range(EPOCHS):
    total = 0.0
    for xb, yb in batches(train_x, train_y, BATCH, True):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    print(
        f"epoch {epoch}: loss {total / len(train_x):.4f}  acc {accuracy(model, test_x, test_y):.3f}"
        f"  noise sigma {model.last_sigma:.4f}  beats seen {int(model.beats_seen)}"
    )
