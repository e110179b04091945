"""Keyword spotting head trained on top of a pretrained STT acoustic model.

The acoustic model is loaded through the same kind of helper the STT package ships
(`init_jit_model`), and is used as a non-trainable feature layer: only the KWS head is
optimised.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

SAMPLE_RATE = 8000
N_FFT = 256
HOP = 128
N_MELS = 32
KEYWORDS = ["yes", "no", "up", "down", "_unknown_"]


class Decoder:
    def __init__(self, labels):
        self.labels = labels
        self.blank_idx = self.labels.index("_")

    def process(self, probs):
        out, prev = [], None
        for i in torch.argmax(probs, dim=-1).tolist():
            if i != prev and i != self.blank_idx:
                out.append(self.labels[i])
            prev = i
        return "".join(out)

    def __call__(self, probs):
        return self.process(probs)


class AcousticModel(nn.Module):
    """Conv1d STT encoder (log-mel in, character logits out)."""

    def __init__(self, n_mels=N_MELS, hidden=64, labels="_ abcdefghijklmnopqrstuvwxyz'"):
        super().__init__()
        self.labels = list(labels)
        self.encoder = nn.Sequential(
            nn.Conv1d(n_mels, hidden, 5, padding=2), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 5, padding=2, groups=4), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 1), nn.ReLU(),
        )
        self.ctc_head = nn.Conv1d(hidden, len(self.labels), 1)

    def forward(self, feats, return_hidden=False):
        h = self.encoder(feats)
        if return_hidden:
            return h
        return self.ctc_head(h).transpose(1, 2).log_softmax(-1)


def init_jit_model(model_seed: int = 1234, device: torch.device = torch.device("cpu")):
    torch.set_grad_enabled(False)
    g = torch.Generator().manual_seed(model_seed)
    model = AcousticModel()
    state = {k: torch.randn(v.shape, generator=g) * 0.1 for k, v in model.state_dict().items()}
    model.load_state_dict(state)  # stands in for the downloaded checkpoint
    model = model.to(device)
    model.eval()
    return model, Decoder(model.labels)


def mel_filterbank(n_mels=N_MELS, n_fft=N_FFT, sr=SAMPLE_RATE):
    mels = torch.linspace(0.0, 2595.0 * math.log10(1.0 + sr / 2 / 700.0), n_mels + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    bins = torch.floor((n_fft + 1) * hz / sr).long()
    fb = torch.zeros(n_mels, n_fft // 2 + 1)
    for m in range(1, n_mels + 1):
        l, c, r = bins[m - 1].item(), bins[m].item(), bins[m + 1].item()
        for k in range(l, c):
            fb[m - 1, k] = (k - l) / max(c - l, 1)
        for k in range(c, r):
            fb[m - 1, k] = (r - k) / max(r - c, 1)
    return fb


FB = mel_filterbank()


def log_mel(wav):
    spec = torch.stft(wav, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True).abs() ** 2
    return torch.log(FB @ spec + 1e-6)


def synth_utterances(n=160):
    """Each keyword is a chirp with its own base frequency; unknown is noise."""
    t = torch.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    wavs, labels = [], []
    for i in range(n):
        k = i % len(KEYWORDS)
        if KEYWORDS[k] == "_unknown_":
            w = torch.randn_like(t) * 0.3
        else:
            f0 = 300 + 400 * k + 50 * torch.randn(1)
            w = torch.sin(2 * math.pi * (f0 + 300 * t) * t) + 0.1 * torch.randn_like(t)
        wavs.append(w)
        labels.append(k)
    return torch.stack(wavs), torch.tensor(labels)


class KWSHead(nn.Module):
    def __init__(self, hidden=64, n_classes=len(KEYWORDS)):
        super().__init__()
        self.attn = nn.Conv1d(hidden, 1, 1)
        self.proj = nn.Sequential(nn.Linear(hidden, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, n_classes))

    def forward(self, h):
        a = torch.softmax(self.attn(h), dim=-1)
        pooled = (h * a).sum(-1)
        return self.proj(pooled)


class KeywordSpotter(nn.Module):
    def __init__(self, stt_model):
        super().__init__()
        self.stt = stt_model
        self.head = KWSHead()

    def forward(self, wav):
        feats = log_mel(wav)
        h = self.stt(feats, return_hidden=True)
        return self.head(h)


if __name__ == "__main__":
    stt_model, decoder = init_jit_model()
    model = KeywordSpotter(stt_model)
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=3e-3, weight_decay=1e-2)

    wavs, labels = synth_utterances()
    for epoch in range(4):
        model.head.train()
        perm = torch.randperm(len(labels))
        total = 0.0
        for i in range(0, len(labels), 32):
            idx = perm[i:i + 32]
            logits = model(wavs[idx])
            loss = F.cross_entropy(logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch} loss {total:.3f}")
