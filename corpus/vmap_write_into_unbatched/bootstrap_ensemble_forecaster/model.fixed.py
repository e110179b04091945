"""A multi-horizon forecaster: a shared encoder over the last few lags, one small head per step
ahead, the forecasts written into a preallocated (batch, horizon) tensor."""
import torch
from torch import nn


class HorizonForecaster(nn.Module):
    def __init__(self, lags, hidden, horizon):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(lags, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.heads = nn.ModuleList(nn.Linear(hidden, 1) for _ in range(horizon))
        self.horizon = horizon

    def forward(self, window):
        z = self.encoder(window)
        out = window.new_empty(
            window.size(0),
            self.horizon,
            dtype=window.dtype,
        )
        for k, head in enumerate(self.heads):
            out[:, k] = head(z).squeeze(-1)
        return out
