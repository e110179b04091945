# SincNet-style raw-waveform classifier with a hand-written, memory-saving sinc filterbank.
#
# Reproduces: https://github.com/pytorch/pytorch/issues/74725
# ("ParameterList breaks autograd.Function")
#
# Fault (in my words): the learnable sinc front-end is a custom torch.autograd.Function that
# recomputes the band-pass filters in backward instead of storing them. Its learnable cut-off
# frequencies live in an nn.ParameterList, and the whole list is passed to Function.apply as
# one argument. autograd only tracks tensors that are direct arguments of apply, not tensors
# inside a list, so the layer's output is not connected to low_hz_/band_hz_ at all. Here the
# input is the raw waveform (no grad), so the output simply has no grad_fn: backward() of the
# Function is never called, no error is raised, the CNN and the classifier train, and the
# filterbank cut-offs keep their mel-scale initial values for the whole run. (In the report the
# layer input did require grad, and the same mistake surfaced as "returned a gradient different
# than None at position ..., but the corresponding forward input was not a Variable".)
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "sample_rate": 8000,
    "num_samples": 2400,
    "num_classes": 4,
    "tones_hz": [300.0, 700.0, 1500.0, 2600.0],
    "n_filters": 16,
    "kernel_size": 65,
    "train_size": 256,
    "batch_size": 32,
    "lr": 1e-3,
    "epochs": 4,
}


def to_mel(hz):
    return 2595 * math.log10(1 + hz / 700)


def to_hz(mel):
    return 700 * (10 ** (mel / 2595) - 1)


def sinc_filters(low_hz_, band_hz_, kernel_size, sample_rate, min_low=50.0, min_band=50.0):
    low = min_low + torch.abs(low_hz_)
    high = torch.clamp(low + min_band + torch.abs(band_hz_), min_low, sample_rate / 2)
    n = torch.arange(-(kernel_size // 2), kernel_size // 2 + 1, device=low.device).float() / sample_rate
    window = torch.hamming_window(kernel_size, periodic=False, device=low.device)

    def lowpass(f):
        f = f[:, None]
        return 2 * f * torch.special.sinc(2 * f * n[None, :])  # (n_filters, kernel)

    filt = (lowpass(high) - lowpass(low)) * window
    return (filt / filt.abs().amax(dim=1, keepdim=True)).unsqueeze(1)


class SincConvFunction(torch.autograd.Function):
    """Sinc filterbank convolution that recomputes the filters in backward (saves memory)."""

    @staticmethod
    def forward(ctx, waveform, band_params, kernel_size, sample_rate):
        low_hz_, band_hz_ = band_params
        filters = sinc_filters(low_hz_, band_hz_, kernel_size, sample_rate)
        ctx.save_for_backward(waveform, low_hz_, band_hz_)
        ctx.kernel_size, ctx.sample_rate = kernel_size, sample_rate
        return F.conv1d(waveform, filters, padding=kernel_size // 2)

    @staticmethod
    def backward(ctx, grad_out):
        waveform, low_hz_, band_hz_ = ctx.saved_tensors
        with torch.enable_grad():
            low = low_hz_.detach().requires_grad_()
            band = band_hz_.detach().requires_grad_()
            filters = sinc_filters(low, band, ctx.kernel_size, ctx.sample_rate)
            out = F.conv1d(waveform, filters, padding=ctx.kernel_size // 2)
            g_low, g_band = torch.autograd.grad(out, (low, band), grad_out)
        return None, [g_low, g_band], None, None


class SincConv(nn.Module):
    def __init__(self, n_filters, kernel_size, sample_rate):
        super().__init__()
        self.kernel_size, self.sample_rate = kernel_size, sample_rate
        mel = torch.linspace(to_mel(30), to_mel(sample_rate / 2 - 100), n_filters + 1)
        hz = torch.tensor([to_hz(m) for m in mel.tolist()])
        self.band_params = nn.ParameterList([
            nn.Parameter(hz[:-1].clone()),           # low_hz_
            nn.Parameter((hz[1:] - hz[:-1]).clone()),  # band_hz_
        ])

    def forward(self, x):
        return SincConvFunction.apply(x, self.band_params, self.kernel_size, self.sample_rate)


class SincClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.frontend = SincConv(cfg["n_filters"], cfg["kernel_size"], cfg["sample_rate"])
        self.encoder = nn.Sequential(
            nn.MaxPool1d(4), nn.LayerNorm([cfg["n_filters"], cfg["num_samples"] // 4]), nn.LeakyReLU(0.2),
            nn.Conv1d(cfg["n_filters"], 32, 5, stride=2), nn.BatchNorm1d(32), nn.LeakyReLU(0.2), nn.MaxPool1d(4),
            nn.Conv1d(32, 32, 5, stride=2), nn.BatchNorm1d(32), nn.LeakyReLU(0.2), nn.AdaptiveAvgPool1d(1))
        self.classifier = nn.Linear(32, cfg["num_classes"])

    def forward(self, wav):
        return self.classifier(self.encoder(self.frontend(wav)).flatten(1))


def make_data(n, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(cfg["num_samples"]) / cfg["sample_rate"]
    labels = torch.randint(0, cfg["num_classes"], (n,), generator=g)
    freqs = torch.tensor(cfg["tones_hz"])[labels] * (1 + 0.05 * torch.randn(n, generator=g))
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    wav = torch.sin(2 * math.pi * freqs[:, None] * t[None] + phase)
    wav = wav * torch.hann_window(cfg["num_samples"])[None] + 0.3 * torch.randn(n, cfg["num_samples"], generator=g)
    return wav.unsqueeze(1), labels


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

train_loader = DataLoader(TensorDataset(*make_data(CONFIG["train_size"], CONFIG, seed=1)),
                          batch_size=CONFIG["batch_size"], shuffle=True)
val_x, val_y = make_data(128, CONFIG, seed=2)
model = SincClassifier(CONFIG).to(device)
# the cut-off frequencies are in Hz, so they get a much larger learning rate
optimizer = torch.optim.Adam([
    {"params": model.frontend.parameters(), "lr": 5.0},
    {"params": list(model.encoder.parameters()) + list(model.classifier.parameters())},
], lr=args.lr)

for epoch in range(args.epochs):
    model.train()
    t0, total, correct = time.time(), 0.0, 0
    for wav, y in train_loader:
        wav, y = wav.to(device), y.to(device)
        logits = model(wav)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * y.size(0)
        correct += (logits.argmax(1) == y).sum().item()
    model.eval()
    with torch.no_grad():
        val_acc = (model(val_x.to(device)).argmax(1).cpu() == val_y).float().mean().item()
    low = model.frontend.band_params[0].detach()
    print(f"epoch {epoch}: loss {total / len(train_loader.dataset):.4f} "
          f"train acc {correct / len(train_loader.dataset):.3f} val acc {val_acc:.3f} "
          f"first cut-offs {low[:3].round().tolist()} ({time.time() - t0:.1f}s)")
