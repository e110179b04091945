"""Next-hour PM2.5 forecast from the last 24 hours of station readings (synthetic: traffic
peaks, wind dispersion, humidity). Adaptive gradient clipping runs per parameter once its
gradient is accumulated; a module hook damps the gradient sent back into the embedding of the
station id."""
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Cfg:
    stations: int = 12
    hours: int = 24
    features: int = 4
    clip: float = 0.05
    emb_grad_scale: float = 0.5
    epochs: int = 6
    lr: float = 2e-3
    seed: int = 22


def make_agc_hook(clip, eps=1e-3):
    def hook(param):
        w = param.detach().norm().clamp(min=eps)
        g = param.grad.norm()
        if g > clip * w:
            param.grad.mul_(clip * w / g)

    return hook


def damp_grad_input(scale):
    def hook(module, grad_input, grad_output):
        return tuple(None if g is None else g * scale for g in grad_input)

    return hook


class Forecaster(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.station = nn.Embedding(cfg.stations, 8)
        self.mixer = nn.Linear(8, 8)
        self.body = nn.Sequential(nn.Linear(cfg.hours * cfg.features + 8, 64), nn.Tanh(), nn.Linear(64, 1))

    def forward(self, station, history):
        s = self.mixer(self.station(station))
        return self.body(torch.cat([history.flatten(1), s], dim=1)).squeeze(1)


def synthetic(cfg, n):
    g = torch.Generator().manual_seed(cfg.seed)
    station = torch.randint(0, cfg.stations, (n,), generator=g)
    base = torch.linspace(10, 40, cfg.stations)[station]
    hours = torch.arange(cfg.hours).float()
    traffic = torch.exp(-((hours - 8) ** 2) / 6) + torch.exp(-((hours - 18) ** 2) / 6)
    wind = torch.rand(n, cfg.hours, generator=g) * 6
    humidity = torch.rand(n, cfg.hours, generator=g)
    pm = base[:, None] * (0.6 + traffic) / (1 + 0.3 * wind) + 5 * humidity
    history = torch.stack([pm / 40, wind / 6, humidity, traffic.expand(n, -1)], dim=2)
    target = (pm[:, -1] * 0.8 + base * 0.2 + torch.randn(n, generator=g)) / 40
    return station, history, target


cfg = Cfg()
torch.manual_seed(cfg.seed)
model = Forecaster(cfg)
handles = []
for p in model.parameters():
    handles.append(p.register_post_accumulate_grad_hook(make_agc_hook(cfg.clip)))
handles.append(model.mixer.register_full_backward_hook(damp_grad_input(cfg.emb_grad_scale)))

station, history, target = synthetic(cfg, 2400)
opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
for epoch in range(cfg.epochs):
    perm = torch.randperm(2000)
    for i in range(0, 2000, 100):
        b = perm[i:i + 100]
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(station[b], history[b]), target[b])
        loss.backward()
        opt.step()
    with torch.no_grad():
        mae = (model(station[2000:], history[2000:]) - target[2000:]).abs().mean() * 40
    print(f"epoch {epoch}: mse {loss.item():.4f}, held-out MAE {mae.item():.2f} ug/m3")

for h in handles:
    h.remove()
