"""Speaker-ID on synthetic tones: a learnable strided-conv analysis front-end (initialised as a
cosine filterbank), log compression, then a small CNN. The front-end was put under
inference_mode to "save memory"."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvFrontend(nn.Module):
    def __init__(self, n_bins=16, width=32, hop=16):
        super().__init__()
        self.analysis = nn.Conv1d(1, n_bins, width, stride=hop, bias=False)
        t = torch.arange(width).float()
        freqs = torch.linspace(1, width / 2 - 1, n_bins)
        self.analysis.weight.data.copy_(torch.cos(2 * math.pi * freqs[:, None] * t / width).unsqueeze(1) / width)
        self.gain = nn.Parameter(torch.ones(n_bins, 1))  # learnable per-bin compression gain

    def forward(self, wav):
        return torch.log1p(self.gain * self.analysis(wav.unsqueeze(1)).abs())


class SpeakerNet(nn.Module):
    def __init__(self, n_speakers=5):
        super().__init__()
        self.frontend = ConvFrontend()
        self.body = nn.Sequential(nn.Conv1d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool1d(1))
        self.fc = nn.Linear(32, n_speakers)

    def forward(self, wav):
        spec = self.frontend(wav)
        return self.fc(self.body(spec).squeeze(-1))


def voices(n=40, length=1024, n_speakers=5):
    who = torch.randint(0, n_speakers, (n,))
    pitch = 0.02 + 0.015 * who.float()
    t = torch.arange(length).float()
    wav = torch.sin(2 * math.pi * pitch[:, None] * t) + 0.5 * torch.sin(4 * math.pi * pitch[:, None] * t)
    return wav + 0.2 * torch.randn_like(wav), who


def main():
    torch.manual_seed(3)
    model = SpeakerNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for it in range(150):
        wav, who = voices()
        loss = F.cross_entropy(model(wav), who)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if it % 30 == 0:
            print(it, loss.item())


main()
