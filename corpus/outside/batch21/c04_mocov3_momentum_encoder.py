"""MoCo v3-style self-supervised pre-training on tabular sensor windows, then a linear probe.

Reference: https://github.com/facebookresearch/moco-v3/blob/main/moco/builder.py
(a momentum encoder that is never given to the optimizer, updated by an exponential moving average
under no_grad; keys computed under no_grad.)

Looks wrong but is right: the momentum encoder has requires_grad=False and is not in the
optimizer; it changes only through the EMA in a no_grad block; the keys are computed inside
torch.no_grad(); the linear probe extracts features under no_grad from a frozen encoder (the
probe is a separate model on purpose). The base encoder, projector and predictor train, and the
momentum encoder follows them.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(8)
device = "cuda" if torch.cuda.is_available() else "cpu"

N_CHANNELS, WINDOW, N_CLASSES = 6, 32, 5
PRETRAIN_EPOCHS, PROBE_EPOCHS = 6, 6
MOMENTUM, TEMPERATURE = 0.99, 0.2


def make_windows(n, gen):
    """Sensor windows of 5 activities: each a mix of two frequencies per channel."""
    y = torch.randint(0, N_CLASSES, (n,), generator=gen)
    t = torch.linspace(0, 1, WINDOW)
    freqs = 1 + torch.arange(N_CLASSES).float() * 1.5
    phase = torch.rand(n, N_CHANNELS, 1, generator=gen) * 6.28
    base = torch.sin(2 * math.pi * freqs[y].view(n, 1, 1) * t + phase)
    x = base + 0.5 * torch.sin(2 * math.pi * 7 * t + phase) * (y.view(n, 1, 1) % 2)
    return x + 0.3 * torch.randn(n, N_CHANNELS, WINDOW, generator=gen), y


def augment(x):
    scale = 1 + 0.2 * torch.randn(x.shape[0], x.shape[1], 1, device=x.device)
    shift = torch.randint(-4, 5, (1,)).item()
    return torch.roll(x * scale, shifts=shift, dims=2) + 0.1 * torch.randn_like(x)


def mlp(in_dim, hidden, out_dim, last_bn=True):
    layers = [nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out_dim)]
    if last_bn:
        layers.append(nn.BatchNorm1d(out_dim, affine=False))
    return nn.Sequential(*layers)


class ConvEncoder(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(N_CHANNELS, width, 5, padding=2), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Conv1d(width, width, 5, padding=2, stride=2), nn.BatchNorm1d(width), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.out_dim = width

    def forward(self, x):
        return self.net(x)


class MoCoV3(nn.Module):
    def __init__(self, dim=32, mlp_dim=64):
        super().__init__()
        self.base_encoder = nn.Sequential(ConvEncoder(), mlp(32, mlp_dim, dim))
        self.momentum_encoder = copy.deepcopy(self.base_encoder)
        for p in self.momentum_encoder.parameters():
            p.requires_grad = False
        self.predictor = mlp(dim, mlp_dim, dim, last_bn=False)

    @torch.no_grad()
    def update_momentum_encoder(self, m):
        for p_b, p_m in zip(self.base_encoder.parameters(), self.momentum_encoder.parameters()):
            p_m.mul_(m).add_(p_b.detach(), alpha=1 - m)

    def contrastive_loss(self, q, k):
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
        logits = q @ k.t() / TEMPERATURE
        return F.cross_entropy(logits, torch.arange(len(q), device=q.device)) * 2 * TEMPERATURE

    def forward(self, x1, x2, m):
        q1, q2 = self.predictor(self.base_encoder(x1)), self.predictor(self.base_encoder(x2))
        with torch.no_grad():
            self.update_momentum_encoder(m)
            k1, k2 = self.momentum_encoder(x1), self.momentum_encoder(x2)
        return self.contrastive_loss(q1, k2) + self.contrastive_loss(q2, k1)


gen = torch.Generator().manual_seed(0)
x_tr, y_tr = make_windows(1536, gen)
x_te, y_te = make_windows(512, gen)
pretrain_loader = DataLoader(TensorDataset(x_tr), batch_size=128, shuffle=True, drop_last=True)

model = MoCoV3().to(device)
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=1e-4)

for epoch in range(PRETRAIN_EPOCHS):
    total = 0.0
    for (x,) in pretrain_loader:
        x = x.to(device)
        loss = model(augment(x), augment(x), MOMENTUM)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"pretrain epoch {epoch}: loss {total / len(pretrain_loader):.4f}")


@torch.no_grad()
def features(encoder, x):
    encoder.eval()
    return encoder(x.to(device))


backbone = model.base_encoder[0]
f_tr, f_te = features(backbone, x_tr), features(backbone, x_te)
probe = nn.Linear(backbone.out_dim, N_CLASSES).to(device)
probe_opt = torch.optim.SGD(probe.parameters(), lr=0.5, momentum=0.9)
for epoch in range(PROBE_EPOCHS):
    for idx in torch.randperm(len(f_tr)).split(128):
        loss = F.cross_entropy(probe(f_tr[idx]), y_tr[idx].to(device))
        probe_opt.zero_grad()
        loss.backward()
        probe_opt.step()
    with torch.no_grad():
        acc = (probe(f_te).argmax(1).cpu() == y_te).float().mean().item()
    print(f"probe epoch {epoch}: test acc {acc:.3f}")
