"""Model reprogramming for keyword spotting: a frozen acoustic encoder, pretrained on another task,
is reused for four new keywords by learning an additive pattern on its filterbank frames and a
small label mapping. Only those two pieces train; written as plain functions over module globals."""
import math
import random

import torch
from torch import nn, optim

CONFIG = {
    "sample_rate": 4000,
    "clip_seconds": 0.5,
    "n_filters": 24,
    "hidden": 32,
    "source_classes": 10,
    "keywords": ["yes", "no", "up", "down"],
    "batch_size": 32,
    "steps": 45,
    "lr": 1e-2,
}

random.seed(0)
torch.manual_seed(0)


class AcousticEncoder(nn.Module):
    """Stand-in for a pretrained encoder: a learned filterbank on raw audio, then a GRU."""

    def __init__(self, n_filters, hidden, n_classes):
        super().__init__()
        self.frontend = nn.Sequential(nn.Conv1d(1, n_filters, kernel_size=64, stride=32), nn.ReLU())
        self.rnn = nn.GRU(n_filters, hidden, batch_first=True)
        self.classifier = nn.Linear(hidden, n_classes)

    def filterbank(self, waveform):
        return torch.log1p(self.frontend(waveform.unsqueeze(1)))


def encode_speech(encoder, *, waveform=None, features=None, lengths=None):
    """Source-class logits of the frozen encoder, from raw audio or from filterbank frames."""
    if waveform is not None:
        features = encoder.filterbank(waveform)
    states, _ = encoder.rnn(features.transpose(1, 2))
    if lengths is None:
        summary = states.mean(1)
    else:
        valid = torch.arange(states.size(1))[None, :] < lengths[:, None]
        summary = (states * valid.unsqueeze(-1)).sum(1) / valid.sum(1, keepdim=True)
    return encoder.classifier(summary)


def synth_keyword(index, n_samples, sr):
    """A keyword is a sequence of two tones; the speaker shifts pitch, timing and loudness."""
    t = torch.arange(n_samples) / sr
    base = 300.0 + 150.0 * index
    pitch = random.uniform(0.9, 1.1)
    onset = random.uniform(0.0, 0.1)
    first = torch.sin(2 * math.pi * base * pitch * t) * ((t > onset) & (t < onset + 0.2))
    second = torch.sin(2 * math.pi * (base + 400.0) * pitch * t) * ((t > onset + 0.2) & (t < onset + 0.35))
    return random.uniform(0.5, 1.0) * (first + second) + 0.05 * torch.randn(n_samples)


def make_batch(size):
    n = int(CONFIG["sample_rate"] * CONFIG["clip_seconds"])
    labels = torch.randint(len(CONFIG["keywords"]), (size,))
    audio = torch.stack([synth_keyword(int(k), n, CONFIG["sample_rate"]) for k in labels])
    frames = (n - 64) // 32 + 1
    lengths = torch.randint(frames - 8, frames + 1, (size,))
    return audio, lengths, labels


encoder = AcousticEncoder(CONFIG["n_filters"], CONFIG["hidden"], CONFIG["source_classes"]).requires_grad_(False)
N_FRAMES = (int(CONFIG["sample_rate"] * CONFIG["clip_seconds"]) - 64) // 32 + 1
delta = torch.zeros(CONFIG["n_filters"], N_FRAMES, requires_grad=True)
label_map = nn.Linear(CONFIG["source_classes"], len(CONFIG["keywords"]))


def reprogrammed_logits(waveform, lengths):
    frames = encoder.filterbank(waveform)
    reprogrammed = frames + delta
    source_logits = encode_speech(encoder, waveform=waveform, features=reprogrammed, lengths=lengths)
    return label_map(source_logits)


def train():
    optimizer = optim.Adam([delta, *label_map.parameters()], lr=CONFIG["lr"])
    criterion = nn.CrossEntropyLoss()

    for step in range(CONFIG["steps"]):
        audio, lengths, labels = make_batch(CONFIG["batch_size"])
        logits = reprogrammed_logits(audio, lengths)
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 15 == 14:
            acc = (logits.argmax(1) == labels).float().mean().item()
            print(f"step {step + 1}: loss={loss.item():.3f} acc={acc:.2f}")


if __name__ == "__main__":
    train()
