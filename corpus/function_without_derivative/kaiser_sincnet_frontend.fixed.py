"""A SincNet-style learnable filterbank with Kaiser windows, on a toy machine-fault task.

The first layer is a bank of band-pass FIR filters parameterised by their band edges and by
the Kaiser window's shape parameter beta (sidelobe level against transition width), so every
filter stays a proper band-pass. The rest is log-energy pooling and a linear classifier. The task:
tell which of four bearing-fault signatures (a tone in a characteristic band, amplitude modulated
by the shaft rate) is hidden in a vibration snippet.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F
from torch.special import modified_bessel_i0 as I0

SR = 8000
TAPS = 101
FAULT_BANDS_HZ = [(300, 500), (900, 1200), (1700, 2100), (2800, 3300)]


def vibration_snippets(n, length=1024, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, len(FAULT_BANDS_HZ), (n,), generator=g)
    t = torch.arange(length) / SR
    lo = torch.tensor([b[0] for b in FAULT_BANDS_HZ], dtype=torch.float)[labels]
    hi = torch.tensor([b[1] for b in FAULT_BANDS_HZ], dtype=torch.float)[labels]
    carrier = lo + (hi - lo) * torch.rand(n, generator=g)
    shaft = 20.0 + 30.0 * torch.rand(n, 1, generator=g)
    envelope = 1.0 + 0.6 * torch.sin(2 * math.pi * shaft * t)
    tone = envelope * torch.sin(2 * math.pi * carrier.unsqueeze(1) * t)
    noise = 1.5 * torch.randn(n, length, generator=g)
    return (0.5 * tone + noise).unsqueeze(1), labels


def modified_bessel_i0_with_grad(x):
    """I0(x) with its derivative, which torch does not compute."""
    d = x.detach()
    return I0(x) + (torch.special.modified_bessel_i1(d)) * (x - d)


class KaiserSincConv(nn.Module):
    def __init__(self, n_filters, taps=TAPS, sample_rate=SR):
        super().__init__()
        edges = torch.linspace(100.0, sample_rate / 2 - 300.0, n_filters + 1)
        self.low_hz = nn.Parameter(edges[:-1].clone())
        self.band_hz = nn.Parameter(edges[1:] - edges[:-1])
        self.beta_raw = nn.Parameter(torch.full((n_filters,), 1.5))
        self.sample_rate = sample_rate
        half = (taps - 1) / 2
        self.register_buffer("n", torch.arange(taps, dtype=torch.float) - half)
        self.register_buffer("ratio", (torch.arange(taps, dtype=torch.float) - half) / half)

    def window(self):
        beta = 1.0 + F.softplus(self.beta_raw).unsqueeze(1)
        w = modified_bessel_i0_with_grad(beta * torch.sqrt(1.0 - self.ratio**2))
        return w / w.amax(dim=1, keepdim=True)

    def forward(self, x):
        f1 = self.low_hz.abs().unsqueeze(1) / self.sample_rate
        f2 = f1 + self.band_hz.abs().unsqueeze(1) / self.sample_rate
        ideal = 2 * f2 * torch.sinc(2 * f2 * self.n) - 2 * f1 * torch.sinc(2 * f1 * self.n)
        filters = (ideal * self.window()).unsqueeze(1)
        return F.conv1d(x, filters, padding=TAPS // 2)


class FaultClassifier(nn.Module):
    def __init__(self, n_filters=12, n_classes=4):
        super().__init__()
        self.frontend = KaiserSincConv(n_filters)
        self.norm = nn.BatchNorm1d(n_filters)
        self.head = nn.Linear(n_filters, n_classes)

    def forward(self, x):
        energy = self.frontend(x).pow(2).mean(dim=-1)
        return self.head(self.norm(torch.log(energy + 1e-6)))


def main():
    torch.manual_seed(0)
    x_train, y_train = vibration_snippets(768, seed=1)
    x_test, y_test = vibration_snippets(256, seed=2)
    model = FaultClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(4):
        model.train()
        perm = torch.randperm(len(x_train))
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean()
        print(f"epoch {epoch}: loss {loss.item():.3f}  test accuracy {acc.item():.3f}")


if __name__ == "__main__":
    main()
