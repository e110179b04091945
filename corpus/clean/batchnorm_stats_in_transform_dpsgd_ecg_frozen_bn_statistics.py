"""DP-SGD for arrhythmia detection on synthetic single-lead ECG beats.

The BatchNorm statistics are estimated once on a public (non-private) set of beats, with no
gradients, and then frozen: the network runs in eval mode while per-example gradients are
computed with torch.func, so no layer mixes examples and no buffer changes inside the transform.
The affine parameters of the BatchNorm layers are still trained, with the convolutions.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

BEAT = 96
CLIP, SIGMA, LR = 1.0, 0.7, 0.3


def beats(n, gen):
    t = torch.linspace(0, 1, BEAT)
    label = torch.randint(0, 2, (n,), generator=gen)
    qrs_width = torch.where(label == 1, 0.05, 0.018).unsqueeze(1)
    shift = 0.05 * torch.randn(n, 1, generator=gen)
    qrs = torch.exp(-((t - 0.4 - shift) ** 2) / (2 * qrs_width ** 2))
    p_wave = 0.15 * torch.exp(-((t - 0.2 - shift) ** 2) / 0.002) * (label == 0).unsqueeze(1)
    t_wave = 0.3 * torch.exp(-((t - 0.7 - shift) ** 2) / 0.005)
    wander = 0.2 * torch.sin(2 * math.pi * (t * torch.rand(n, 1, generator=gen) + torch.rand(n, 1, generator=gen)))
    x = qrs + p_wave + t_wave + wander + 0.05 * torch.randn(n, BEAT, generator=gen)
    return x.unsqueeze(1), label


class BeatCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 8, 7, padding=3)
        self.bn1 = nn.BatchNorm1d(8)
        self.conv2 = nn.Conv1d(8, 16, 5, padding=2)
        self.bn2 = nn.BatchNorm1d(16)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.bn2(self.conv2(x)))
        return self.out(x.mean(-1))


def calibrate_batchnorm(model, public_x):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for chunk in public_x.split(128):
            model(chunk)
    model.eval()


def clipped_noisy_grads(model, x, y):
    params = {k: p.detach() for k, p in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def loss_one(p, xi, yi):
        return F.cross_entropy(functional_call(model, (p, buffers), (xi.unsqueeze(0),)), yi.unsqueeze(0))

    g = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    norms = torch.stack([v.flatten(1).norm(dim=1) for v in g.values()], dim=1).norm(dim=1)
    scale = torch.clamp(CLIP / (norms + 1e-6), max=1.0)
    return {
        k: (torch.einsum("n,n...->...", scale, v) + SIGMA * CLIP * torch.randn_like(v[0])) / len(x)
        for k, v in g.items()
    }


def main():
    torch.manual_seed(8)
    gen = torch.Generator().manual_seed(8)
    public_x, _ = beats(512, gen)
    private_x, private_y = beats(1024, gen)
    test_x, test_y = beats(256, gen)

    model = BeatCNN()
    calibrate_batchnorm(model, public_x)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    for epoch in range(3):
        perm = torch.randperm(len(private_x))
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            noisy = clipped_noisy_grads(model, private_x[idx], private_y[idx])
            for name, p in model.named_parameters():
                p.grad = noisy[name]
            opt.step()
            opt.zero_grad()
        with torch.no_grad():
            acc = (model(test_x).argmax(1) == test_y).float().mean()
        print(f"epoch {epoch}: test accuracy {acc:.3f}")


main()
