# Speaker-ID toy task with a learnable Gabor filterbank front-end (LEAF-like) written as a
# custom autograd.Function that recomputes the filters in backward to save activation memory.
#
# Look-alike (correct script). Related discussion:
# https://discuss.pytorch.org/t/torch-autograd-function-returns-error-asking-for-depricated-variable-when-passed-parameterlist/147233
#
# Things that look wrong but are right:
#  - the filter parameters live in an nn.ParameterList, and a custom Function receives them:
#    they are unpacked with `*self.filter_params`, so each one is a direct tensor argument of
#    apply() and autograd connects them;
#  - backward() is @once_differentiable, detaches the saved tensors, re-enables grad locally
#    and returns None for the waveform (ctx.needs_input_grad[0] is False for raw audio);
#  - the pre-emphasis conv is frozen on purpose (fixed [-0.97, 1] kernel, requires_grad=False);
#  - validation runs under torch.no_grad() with model.eval().
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd.function import once_differentiable
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "sample_rate": 8000,
    "num_samples": 2000,
    "speakers_f0": [110.0, 160.0, 230.0],
    "n_filters": 12,
    "kernel_size": 81,
    "train_size": 240,
    "batch_size": 24,
    "lr": 2e-3,
    "filter_lr": 0.003,
    "epochs": 4,
}


def gabor_kernels(center, bandwidth, kernel_size):
    """Real part of normalised Gabor filters; center in cycles/sample, bandwidth in samples."""
    t = torch.arange(kernel_size, device=center.device, dtype=center.dtype) - kernel_size // 2
    c = center.clamp(0.0, 0.5)[:, None]
    sigma = bandwidth.clamp(1.0, kernel_size / 2)[:, None]
    env = torch.exp(-0.5 * (t[None] / sigma) ** 2) / (math.sqrt(2 * math.pi) * sigma)
    return (env * torch.cos(2 * math.pi * c * t[None])).unsqueeze(1)


class GaborConvFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, waveform, center, bandwidth, kernel_size):
        ctx.save_for_backward(waveform, center, bandwidth)
        ctx.kernel_size = kernel_size
        return F.conv1d(waveform, gabor_kernels(center, bandwidth, kernel_size), padding=kernel_size // 2)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        waveform, center, bandwidth = ctx.saved_tensors
        grad_wave = None
        with torch.enable_grad():
            c = center.detach().requires_grad_()
            b = bandwidth.detach().requires_grad_()
            kernels = gabor_kernels(c, b, ctx.kernel_size)
            out = F.conv1d(waveform, kernels, padding=ctx.kernel_size // 2)
            g_c, g_b = torch.autograd.grad(out, (c, b), grad_out)
        if ctx.needs_input_grad[0]:
            grad_wave = F.conv_transpose1d(grad_out, kernels.detach(), padding=ctx.kernel_size // 2)
        return grad_wave, g_c, g_b, None


class GaborFrontend(nn.Module):
    def __init__(self, n_filters, kernel_size, sample_rate):
        super().__init__()
        self.kernel_size = kernel_size
        centers = torch.linspace(60.0, sample_rate / 2 - 400, n_filters) / sample_rate
        self.filter_params = nn.ParameterList([
            nn.Parameter(centers),                            # center frequency (cycles/sample)
            nn.Parameter(torch.full((n_filters,), 12.0)),     # Gaussian width (samples)
        ])
        self.preemph = nn.Conv1d(1, 1, 2, bias=False)
        with torch.no_grad():
            self.preemph.weight.copy_(torch.tensor([[[-0.97, 1.0]]]))
        self.preemph.weight.requires_grad_(False)

    def forward(self, wav):
        wav = self.preemph(F.pad(wav, (1, 0)))
        y = GaborConvFunction.apply(wav, *self.filter_params, self.kernel_size)
        energy = F.avg_pool1d(y.pow(2), 40, stride=20)
        return torch.log1p(100.0 * energy)


class SpeakerNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.frontend = GaborFrontend(cfg["n_filters"], cfg["kernel_size"], cfg["sample_rate"])
        self.encoder = nn.Sequential(nn.Conv1d(cfg["n_filters"], 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
                                     nn.Conv1d(32, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
                                     nn.AdaptiveAvgPool1d(1))
        self.head = nn.Linear(32, len(cfg["speakers_f0"]))

    def forward(self, wav):
        return self.head(self.encoder(self.frontend(wav)).flatten(1))


def make_data(n, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(cfg["num_samples"]) / cfg["sample_rate"]
    spk = torch.randint(0, len(cfg["speakers_f0"]), (n,), generator=g)
    f0 = torch.tensor(cfg["speakers_f0"])[spk] * (1 + 0.03 * torch.randn(n, generator=g))
    wav = torch.zeros(n, cfg["num_samples"])
    for h in range(1, 6):  # harmonic voice-like source with random formant weighting
        amp = torch.rand(n, 1, generator=g) / h
        wav += amp * torch.sin(2 * math.pi * h * f0[:, None] * t[None] + 2 * math.pi * torch.rand(n, 1, generator=g))
    wav += 0.2 * torch.randn(n, cfg["num_samples"], generator=g)
    return wav.unsqueeze(1), spk


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"
train_loader = DataLoader(TensorDataset(*make_data(CONFIG["train_size"], CONFIG, 1)),
                          batch_size=CONFIG["batch_size"], shuffle=True)
val_x, val_y = make_data(96, CONFIG, 2)

model = SpeakerNet(CONFIG).to(device)
trainable = [p for p in model.parameters() if p.requires_grad]
frontend_ids = {id(p) for p in model.frontend.filter_params}
optimizer = torch.optim.Adam([
    {"params": [p for p in trainable if id(p) in frontend_ids], "lr": CONFIG["filter_lr"]},
    {"params": [p for p in trainable if id(p) not in frontend_ids]},
], lr=CONFIG["lr"])

for epoch in range(args.epochs):
    model.train()
    t0, total = time.time(), 0.0
    for wav, spk in train_loader:
        wav, spk = wav.to(device), spk.to(device)
        loss = F.cross_entropy(model(wav), spk)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * spk.size(0)
    model.eval()
    with torch.no_grad():
        acc = (model(val_x.to(device)).argmax(1).cpu() == val_y).float().mean().item()
    centers = model.frontend.filter_params[0].detach() * CONFIG["sample_rate"]
    print(f"epoch {epoch}: loss {total / len(train_loader.dataset):.4f} val acc {acc:.3f} "
          f"centers[:3] {centers[:3].round().tolist()} Hz ({time.time() - t0:.1f}s)")
