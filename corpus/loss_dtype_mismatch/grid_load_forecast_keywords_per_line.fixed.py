# Forecasts the next six hours of electricity demand on a regional grid from the previous day.
# An hourly load series with daily and weekly cycles is generated with NumPy, cut into sliding
# windows, and a GRU encoder with a linear head predicts the six-hour horizon; the loss is a
# Huber loss so holiday dips do not swamp the ordinary days.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as fn

rng = np.random.default_rng(11)
hours = np.arange(24 * 120)
load = 900 + 180 * np.sin(2 * np.pi * (hours % 24 - 7) / 24) + 60 * np.sin(2 * np.pi * hours / (24 * 7))
load += rng.normal(0, 25, len(hours))
for day in rng.choice(120, 6, replace=False):
    load[day * 24:(day + 1) * 24] -= 250  # holidays
load = (load - load.mean()) / load.std()

lookback, horizon = 24, 6
starts = np.arange(0, len(load) - lookback - horizon)
windows = np.stack([load[s:s + lookback] for s in starts])
futures = np.stack([load[s + lookback:s + lookback + horizon] for s in starts])
history = torch.tensor(windows, dtype=torch.float32).unsqueeze(-1)
demand = torch.tensor(futures)


class LoadForecaster(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.encoder = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):
        _, last = self.encoder(x)
        return self.head(last[-1])


torch.manual_seed(0)
model = LoadForecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
order = torch.randperm(len(history))

for epoch in range(3):
    for i in range(0, len(order), 128):
        batch = order[i:i + 128]
        forecast = model(history[batch])
        loss = fn.huber_loss(
            forecast,
            demand[batch].float(),
            reduction="mean",
            delta=0.5,
        )
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    print(f"epoch {epoch}: huber {loss.item():.4f}")
