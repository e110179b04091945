# Report: https://github.com/pytorch/pytorch/pull/189872
# The PR says the low-level Bessel functions in torch.special (bessel_j0, bessel_j1, ...) are
# registered as non-differentiable, so anything computed through them gets no gradient.
"""Estimate drum-strike parameters from audio with a differentiable modal synthesizer.

A small encoder looks at the log-magnitude spectrogram of a recorded strike on a circular
membrane and predicts where it was struck (radius), how fast the modes decay, and the gain.
The prediction is rendered back to audio with a modal synthesizer (axisymmetric membrane modes,
amplitudes given by the mode shapes J0(z_m r) at the strike radius) and compared with the
recording through a multi-resolution spectral loss (DDSP style, no parameter labels).
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

SR = 8000
DUR = 0.25
N_SAMPLES = int(SR * DUR)
# first zeros of J0: the axisymmetric (0, m) modes of a fixed-edge membrane
J0_ZEROS = torch.tensor([2.404826, 5.520078, 8.653728, 11.791534, 14.930918, 18.071064])
F0 = 180.0


def modal_drum(radius, decay, gain):
    """radius, decay, gain: (B,) tensors -> (B, N_SAMPLES) waveform."""
    t = torch.arange(N_SAMPLES, dtype=torch.float32) / SR
    z = J0_ZEROS.to(radius.device)
    freqs = F0 * z / z[0]                                     # (M,)
    amps = torch.special.bessel_j0(z[None, :] * radius[:, None])  # mode shape at the strike point
    damp = decay[:, None] * (1.0 + 0.35 * torch.arange(len(z), device=radius.device))[None, :]
    env = torch.exp(-damp[:, :, None] * t[None, None, :])    # (B, M, T)
    osc = torch.sin(2 * math.pi * freqs[None, :, None] * t[None, None, :])
    return gain[:, None] * (amps[:, :, None] * env * osc).sum(1)


def log_spec(wav, n_fft):
    win = torch.hann_window(n_fft, device=wav.device)
    spec = torch.stft(wav, n_fft, hop_length=n_fft // 4, window=win, return_complex=True)
    return torch.log(spec.abs() + 1e-2)


def multi_res_loss(pred, target, sizes=(128, 256, 512)):
    return sum(F.l1_loss(log_spec(pred, n), log_spec(target, n)) for n in sizes) / len(sizes)


class StrikeDataset(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.radius = 0.05 + 0.8 * torch.rand(n, generator=g)
        self.decay = 6.0 + 20.0 * torch.rand(n, generator=g)
        self.gain = 0.3 + 0.6 * torch.rand(n, generator=g)
        with torch.no_grad():
            clean = modal_drum(self.radius, self.decay, self.gain)
        self.audio = clean + 0.003 * torch.randn(clean.shape, generator=g)

    def __len__(self):
        return len(self.audio)

    def __getitem__(self, i):
        return self.audio[i], torch.stack([self.radius[i], self.decay[i], self.gain[i]])


class StrikeEncoder(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(129, hidden, 3, padding=1), nn.GELU(),
            nn.Conv1d(hidden, hidden, 3, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        )
        self.pos_head = nn.Linear(hidden, 1)
        self.decay_head = nn.Linear(hidden, 1)
        self.gain_head = nn.Linear(hidden, 1)

    def forward(self, wav):
        feats = self.encoder(log_spec(wav, 256))
        radius = 0.02 + 0.93 * torch.sigmoid(self.pos_head(feats)).squeeze(-1)
        decay = 2.0 + F.softplus(self.decay_head(feats)).squeeze(-1) * 10.0
        gain = F.softplus(self.gain_head(feats)).squeeze(-1)
        return radius, decay, gain


def evaluate(model, loader):
    model.eval()
    tot, err_r, n = 0.0, 0.0, 0
    with torch.no_grad():
        for wav, params in loader:
            r, d, g = model(wav)
            tot += multi_res_loss(modal_drum(r, d, g), wav).item() * len(wav)
            err_r += (r - params[:, 0]).abs().sum().item()
            n += len(wav)
    model.train()
    return tot / n, err_r / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    args = p.parse_args()

    torch.manual_seed(0)
    train_loader = DataLoader(StrikeDataset(192, seed=1), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(StrikeDataset(64, seed=2), batch_size=32)

    model = StrikeEncoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        running = 0.0
        for wav, _ in train_loader:
            radius, decay, gain = model(wav)
            loss = multi_res_loss(modal_drum(radius, decay, gain), wav)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            running += loss.item()
        scheduler.step()
        val_loss, radius_mae = evaluate(model, val_loader)
        print(f"epoch {epoch}: train {running / len(train_loader):.4f}  "
              f"val {val_loss:.4f}  radius MAE {radius_mae:.3f}")


if __name__ == "__main__":
    main()
