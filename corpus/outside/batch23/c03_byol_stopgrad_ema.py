"""BYOL pre-training on synthetic sensor windows (correct look-alike).

Things that look like faults but are intended:
  * the input normaliser is a frozen, pre-computed standardisation layer;
  * the target network is a deep copy with requires_grad_(False), run under torch.no_grad()
    and only updated by an exponential moving average of the online network;
  * the regression target is .detach()-ed (stop-gradient);
  * the EMA update uses in-place ops on the target parameters inside torch.no_grad().
"""

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
EPOCHS, BATCH, LR, TAU_BASE = 6, 128, 2e-3, 0.99


def make_windows(n, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, 64)
    freq = torch.randint(1, 6, (n, 1), generator=g).float()
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    x = torch.sin(2 * math.pi * freq * t + phase) + 0.2 * torch.randn(n, 64, generator=g)
    return 3.0 + 2.0 * x, freq.squeeze(1).long() - 1


def augment(x):
    shift = torch.randint(-6, 7, (1,)).item()
    x = torch.roll(x, shift, dims=1)
    return x * (1 + 0.1 * torch.randn(len(x), 1)) + 0.1 * torch.randn_like(x)


class Standardize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.scale = nn.Parameter(1.0 / std, requires_grad=False)
        self.shift = nn.Parameter(-mean / std, requires_grad=False)

    def forward(self, x):
        return x * self.scale + self.shift


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o))


class BYOL(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.norm = Standardize(mean, std)
        self.online_encoder = nn.Sequential(nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(),
                                            nn.Conv1d(16, 32, 5, stride=2, padding=2), nn.ReLU(),
                                            nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.online_projector = mlp(32, 64, 32)
        self.predictor = mlp(32, 64, 32)
        self.target_encoder = copy.deepcopy(self.online_encoder).requires_grad_(False)
        self.target_projector = copy.deepcopy(self.online_projector).requires_grad_(False)

    def online(self, x):
        return self.predictor(self.online_projector(self.online_encoder(self.norm(x).unsqueeze(1))))

    @torch.no_grad()
    def target(self, x):
        return self.target_projector(self.target_encoder(self.norm(x).unsqueeze(1)))

    @torch.no_grad()
    def update_target(self, tau):
        for online, target in ((self.online_encoder, self.target_encoder),
                               (self.online_projector, self.target_projector)):
            for p_o, p_t in zip(online.parameters(), target.parameters()):
                p_t.mul_(tau).add_(p_o, alpha=1 - tau)
            for b_o, b_t in zip(online.buffers(), target.buffers()):
                b_t.copy_(b_o)


def regression_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()


@torch.no_grad()
def knn_accuracy(model, x_tr, y_tr, x_te, y_te):
    model.eval()
    f = lambda x: F.normalize(model.online_encoder(model.norm(x).unsqueeze(1)), dim=1)
    sim = f(x_te) @ f(x_tr).t()
    pred = y_tr[sim.topk(5, dim=1).indices].mode(dim=1).values
    model.train()
    return (pred == y_te).float().mean().item()


x_train, y_train = make_windows(2048, 1)
x_test, y_test = make_windows(512, 2)
loader = DataLoader(TensorDataset(x_train), batch_size=BATCH, shuffle=True, drop_last=True)
model = BYOL(x_train.mean(), x_train.std())
params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=LR)
total_steps, step = EPOCHS * len(loader), 0

print(f"kNN acc before: {knn_accuracy(model, x_train, y_train, x_test, y_test):.3f}")
for epoch in range(EPOCHS):
    running = 0.0
    for (x,) in loader:
        v1, v2 = augment(x), augment(x)
        loss = regression_loss(model.online(v1), model.target(v2)) \
            + regression_loss(model.online(v2), model.target(v1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tau = 1 - (1 - TAU_BASE) * (math.cos(math.pi * step / total_steps) + 1) / 2
        model.update_target(tau)
        step += 1
        running += loss.item()
    print(f"epoch {epoch}: byol loss {running / len(loader):.4f}  "
          f"kNN acc {knn_accuracy(model, x_train, y_train, x_test, y_test):.3f}")
