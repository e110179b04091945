"""Anomaly scoring for server metrics: a stateful GRU forecasts the next minute of CPU, memory and
request latency for a fleet of hosts, and the forecast error is the anomaly score. The state
lives on the model and is cut at each window border."""
from dataclasses import dataclass, field

import torch
import torch.nn as nn


@dataclass
class Settings:
    hosts: int = 24
    minutes: int = 720
    window: int = 30
    hidden: int = 64
    layers: int = 2
    epochs: int = 4
    lr: float = 2e-3
    metrics: list = field(default_factory=lambda: ["cpu", "mem", "latency"])


def fleet_metrics(s: Settings, seed: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(s.minutes).float()
    load = 0.5 + 0.3 * torch.sin(2 * torch.pi * t / 240) + 0.05 * torch.randn(s.hosts, s.minutes, generator=g)
    cpu = load + 0.1 * torch.randn(s.hosts, 1, generator=g)
    mem = 0.4 + 0.0004 * t + 0.2 * torch.roll(load, 5, dims=1)
    latency = 0.2 + 0.6 * torch.relu(cpu - 0.7) + 0.03 * torch.randn(s.hosts, s.minutes, generator=g)
    x = torch.stack([cpu, mem, latency], dim=-1)
    return (x - x.mean(dim=(0, 1))) / x.std(dim=(0, 1))


class MetricForecaster(nn.Module):
    def __init__(self, n_metrics: int, hidden: int, layers: int):
        super().__init__()
        self.gru = nn.GRU(n_metrics, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, n_metrics)
        self.hidden = None

    def reset(self) -> None:
        self.hidden = None

    def cut_history(self) -> None:
        if self.hidden is not None:
            self.hidden.detach_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, self.hidden = self.gru(x, self.hidden)
        return self.head(out)


def fit(model: MetricForecaster, series: torch.Tensor, s: Settings) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
    for epoch in range(s.epochs):
        model.reset()
        total = 0.0
        steps = 0
        for start in range(0, series.shape[1] - s.window - 1, s.window):
            x = series[:, start:start + s.window]
            y = series[:, start + 1:start + s.window + 1]
            model.cut_history()
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        print(f"epoch {epoch}: mse {total / steps:.4f}")


@torch.no_grad()
def anomaly_scores(model: MetricForecaster, series: torch.Tensor, s: Settings) -> torch.Tensor:
    state = None
    errors = []
    for start in range(0, series.shape[1] - s.window - 1, s.window):
        x = series[:, start:start + s.window]
        y = series[:, start + 1:start + s.window + 1]
        out, state = model.gru(x, state)
        state = state.detach()
        errors.append((model.head(out) - y).pow(2).mean(dim=(1, 2)))
    return torch.stack(errors, dim=1).amax(dim=1)


if __name__ == "__main__":
    settings = Settings()
    torch.manual_seed(0)
    data = fleet_metrics(settings)
    data[3, 500:520, 2] += 4.0
    model = MetricForecaster(len(settings.metrics), settings.hidden, settings.layers)
    fit(model, data, settings)
    scores = anomaly_scores(model, data, settings)
    print("most anomalous hosts:", scores.topk(3).indices.tolist())
