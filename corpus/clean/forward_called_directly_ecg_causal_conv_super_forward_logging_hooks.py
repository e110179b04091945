# Denoising autoencoder for synthetic ECG beats with causal convolutions.
# CausalConv1d pads on the left and defers to nn.Conv1d's forward; activation statistics are
# logged through forward hooks (detached, nothing trainable in them). The training loop calls
# model.forward directly to get the latent code as well.
import math
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalConv1d(nn.Conv1d):
    def __init__(self, c_in, c_out, kernel_size, dilation=1):
        super().__init__(c_in, c_out, kernel_size, dilation=dilation)
        self.left = (kernel_size - 1) * dilation

    def forward(self, x):
        return super().forward(F.pad(x, (self.left, 0)))


class BeatDAE(nn.Module):
    def __init__(self, ch=16, latent=8):
        super().__init__()
        self.enc = nn.ModuleList([CausalConv1d(1, ch, 5), CausalConv1d(ch, ch, 5, dilation=2), CausalConv1d(ch, latent, 3, dilation=4)])
        self.dec = nn.ModuleList([CausalConv1d(latent, ch, 3), CausalConv1d(ch, ch, 5, dilation=2), CausalConv1d(ch, 1, 5)])

    def forward(self, x, return_latent=False):
        h = x
        for conv in self.enc:
            h = torch.tanh(conv(h))
        z = h
        for conv in self.dec[:-1]:
            h = torch.tanh(conv(h))
        out = self.dec[-1](h)
        return (out, z) if return_latent else out


def ecg_beats(n, length, gen):
    t = torch.linspace(0, 1, length)
    hr = 0.9 + 0.2 * torch.rand(n, 1, generator=gen)
    qrs = torch.exp(-((t - 0.4 * hr) / 0.015) ** 2)
    p = 0.15 * torch.exp(-((t - 0.25 * hr) / 0.04) ** 2)
    tw = 0.3 * torch.exp(-((t - 0.7 * hr) / 0.06) ** 2)
    clean = (qrs + p + tw).unsqueeze(1)
    wander = 0.1 * torch.sin(2 * math.pi * torch.rand(n, 1, 1, generator=gen) * t)
    noisy = clean + wander + 0.08 * torch.randn(n, 1, length, generator=gen)
    return noisy, clean


def attach_activation_logging(model):
    stats = defaultdict(list)

    def make_hook(name):
        def log(module, inputs, output):
            stats[name].append(output.detach().abs().mean().item())
        return log

    for name, module in model.named_modules():
        if isinstance(module, CausalConv1d):
            module.register_forward_hook(make_hook(name))
    return stats


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    noisy, clean = ecg_beats(512, 96, gen)
    model = BeatDAE()
    stats = attach_activation_logging(model)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    for epoch in range(5):
        for i in range(0, 512, 64):
            recon, z = model.forward(noisy[i:i + 64], return_latent=True)
            loss = F.mse_loss(recon, clean[i:i + 64]) + 1e-4 * z.pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: mse {loss.item():.5f}  |enc.2| {stats['enc.2'][-1]:.3f}")


if __name__ == "__main__":
    main()
