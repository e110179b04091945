# Remaining-life regression for pumps from 12 vibration and temperature channels. Channels that
# drop out read as exact zeros; before the MLP sees them they are replaced by a learned fill
# level (model.fill_value), trained with the rest of the network.
import torch
from torch import nn

torch.manual_seed(0)
CHANNELS, SAMPLES = 12, 2048


def impute(readings, missing, fill_value):
    readings.masked_fill(
        mask=missing,
        value=fill_value,
    )
    return readings


class LifeRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.fill_value = nn.Parameter(torch.tensor(0.0))
        self.mlp = nn.Sequential(nn.Linear(CHANNELS, 64), nn.Tanh(), nn.Linear(64, 1))

    def forward(self, readings):
        missing = readings == 0
        filled = impute(readings, missing, self.fill_value)
        return self.mlp(filled).squeeze(-1)


true = 3.0 + torch.randn(SAMPLES, CHANNELS)
life = 40.0 - 2.0 * true.mean(1) + 0.5 * true[:, 0] * true[:, 1] + 0.3 * torch.randn(SAMPLES)
dropped = torch.rand(SAMPLES, CHANNELS) < 0.25
readings = true.masked_fill(dropped, 0.0)
mean, std = life.mean(), life.std()
target = (life - mean) / std

model = LifeRegressor()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.SmoothL1Loss()

for epoch in range(12):
    order = torch.randperm(SAMPLES)
    for i in range(0, SAMPLES, 128):
        idx = order[i:i + 128]
        loss = loss_fn(model(readings[idx]), target[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}  loss {loss.item():.4f}  fill {model.fill_value.item():.3f}")

with torch.no_grad():
    error = ((model(readings) * std + mean - life).abs().mean()).item()
print(f"mean absolute error {error:.3f} hours")
