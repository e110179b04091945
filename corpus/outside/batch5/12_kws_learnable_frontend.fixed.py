"""Keyword spotting on raw waveforms with a learnable (SincNet/LEAF-like) filterbank
front-end followed by a small 2-D CNN; synthetic 'keywords' are chirps."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SR, DUR, N_CLASSES = 4000, 0.25, 4


class LearnableFilterbank(nn.Module):
    def __init__(self, n_filters=24, kernel=65, hop=40, sr=SR):
        super().__init__()
        self.hop = hop
        t = torch.arange(kernel) - kernel // 2
        freqs = torch.linspace(50, sr / 2 - 200, n_filters)
        window = torch.hann_window(kernel, periodic=False)
        init = torch.cos(2 * math.pi * freqs[:, None] * t[None, :] / sr) * window
        self.filters = nn.Conv1d(1, n_filters, kernel, stride=1, padding=kernel // 2, bias=False)
        self.filters.weight.data.copy_(init.unsqueeze(1) / kernel)
        self.compression = nn.Parameter(torch.full((n_filters, 1), 0.3))  # learnable root compression

    def forward(self, wav):
        x = self.filters(wav.unsqueeze(1))                   # (B, F, T)
        energy = F.avg_pool1d(x ** 2, self.hop * 2, self.hop)  # (B, F, frames)
        return (energy + 1e-6) ** self.compression.clamp(0.05, 1.0)


class KeywordSpotter(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.frontend = LearnableFilterbank()
        self.instance_norm = nn.InstanceNorm1d(24)
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(32, n_classes)

    def forward(self, wav):
        feats = self.frontend(wav)
        feats = self.instance_norm(feats)
        h = self.cnn(feats.unsqueeze(1)).flatten(1)
        return self.classifier(h)


def make_batch(batch=24):
    t = torch.arange(int(SR * DUR)) / SR
    labels = torch.randint(0, N_CLASSES, (batch,))
    f0 = 300 + 350 * labels.float()
    sweep = torch.where(labels % 2 == 0, 1.0, -1.0) * 600
    phase = 2 * math.pi * (f0[:, None] * t + 0.5 * sweep[:, None] * t ** 2 / DUR)
    wav = torch.sin(phase) * torch.rand(batch, 1) + 0.3 * torch.randn(batch, t.numel())
    return wav, labels


def main():
    torch.manual_seed(0)
    model = KeywordSpotter()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for step in range(25):
        model.train()
        wav, labels = make_batch()
        logits = model(wav)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 5 == 0:
            acc = (logits.argmax(-1) == labels).float().mean().item()
            print(f"step {step:02d} loss {loss.item():.4f} acc {acc:.2f}")


if __name__ == "__main__":
    main()
