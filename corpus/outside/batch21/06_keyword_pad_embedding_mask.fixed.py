# Source: https://github.com/janhq/WhisperSpeech/pull/19
# Keyword classifier on variable-length clips. Every clip is zero-padded to a fixed length, and
# the padded frames are meant to be replaced by a learned padding embedding (pad_emb) before the
# transformer, as in WhisperSpeech's mask_embs. The Dataset computes the valid-frame mask AFTER
# padding, from len(padded_audio), so every clip looks full length: the mask is all True, no
# frame is ever replaced, pad_emb never enters the forward pass and never gets a gradient. Training
# runs fine and the rest of the model learns; pad_emb keeps its initial value.
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

SAMPLE_RATE = 8000
MAX_SAMPLES = 8000          # 1 s
HOP = 160                   # 20 ms frames
N_CLASSES = 8
HPARAMS = {
    "n_train": 768,
    "n_val": 240,
    "batch_size": 32,
    "epochs": 3,
    "lr": 1e-3,
    "d_model": 64,
    "n_layers": 2,
    "n_heads": 4,
    "seed": 1234,
}


def synth_clip(label, rng):
    """A harmonic 'word' whose pitch contour depends on the class, plus noise."""
    n = rng.randint(2400, MAX_SAMPLES)
    t = torch.arange(n) / SAMPLE_RATE
    f0 = 120 + 35 * label + rng.uniform(-8, 8)
    glide = (label % 3 - 1) * 60 * t
    phase = 2 * math.pi * torch.cumsum(f0 + glide, 0) / SAMPLE_RATE
    wav = sum((0.6 / k) * torch.sin(k * phase) for k in range(1, 5))
    env = torch.sin(math.pi * torch.arange(n) / n) ** 2
    wav = wav * env * rng.uniform(0.3, 1.0) + 0.05 * torch.randn(n)
    return wav


class KeywordClips(Dataset):
    def __init__(self, n, seed):
        rng = random.Random(seed)
        torch.manual_seed(seed)
        self.labels = [rng.randrange(N_CLASSES) for _ in range(n)]
        self.waves = [synth_clip(y, rng) for y in self.labels]

    def __len__(self):
        return len(self.labels)

    @staticmethod
    def pad_audio(wav):
        return F.pad(wav, (0, MAX_SAMPLES - wav.numel()))

    def __getitem__(self, i):
        raw = self.waves[i]
        wav = self.pad_audio(raw)
        n_frames = min(len(raw), MAX_SAMPLES) // HOP
        mask = torch.zeros(MAX_SAMPLES // HOP, dtype=torch.bool)
        mask[:n_frames] = True
        return wav, mask, self.labels[i]


class KeywordNet(nn.Module):
    def __init__(self, d_model, n_layers, n_heads, n_classes, n_frames):
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(1, d_model, kernel_size=2 * HOP, stride=HOP, padding=HOP // 2),
            nn.GELU(),
            nn.Conv1d(d_model, d_model, kernel_size=3, padding=1),
            nn.GELU(),
        )
        self.pad_emb = nn.Parameter(torch.randn(d_model) * 0.02)
        self.pos_emb = nn.Parameter(torch.randn(1, n_frames, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=2 * d_model,
                                           dropout=0.1, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.classifier = nn.Sequential(nn.LayerNorm(d_model), nn.Linear(d_model, n_classes))

    def forward(self, wav, mask):
        x = self.frontend(wav.unsqueeze(1)).transpose(1, 2)      # (B, T, D)
        x = x[:, : mask.size(1)]
        if not mask.all():
            x = torch.where(mask.unsqueeze(-1), x, self.pad_emb.to(x.dtype))
        x = self.encoder(x + self.pos_emb)
        m = mask.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1).clamp_min(1.0)
        return self.classifier(pooled)


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for wav, mask, y in loader:
            correct += (model(wav, mask).argmax(-1) == y).sum().item()
            total += y.numel()
    model.train()
    return correct / total


def main(hp):
    torch.manual_seed(hp["seed"])
    train_ds = KeywordClips(hp["n_train"], hp["seed"])
    val_ds = KeywordClips(hp["n_val"], hp["seed"] + 1)
    train_dl = DataLoader(train_ds, batch_size=hp["batch_size"], shuffle=True)
    val_dl = DataLoader(val_ds, batch_size=64)

    model = KeywordNet(hp["d_model"], hp["n_layers"], hp["n_heads"], N_CLASSES, MAX_SAMPLES // HOP)
    optimizer = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.01)
    total_steps = hp["epochs"] * len(train_dl)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=hp["lr"], total_steps=total_steps)

    step = 0
    for epoch in range(hp["epochs"]):
        running = 0.0
        for wav, mask, y in train_dl:
            logits = model(wav, mask)
            loss = F.cross_entropy(logits, y, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.item()
            step += 1
        print(f"epoch {epoch + 1} step {step} loss {running / len(train_dl):.4f} "
              f"val acc {accuracy(model, val_dl):.3f} lr {scheduler.get_last_lr()[0]:.2e}")


if __name__ == "__main__":
    main(HPARAMS)
